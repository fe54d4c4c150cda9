namespace Wirestack.Sockets;

/// <summary>Pins the stack thread that runs it to a CPU (a command, because only that thread can pin itself).</summary>
internal sealed class PinStackThreadCommand(int cpu) : NetstackCommand
{
    public TaskCompletionSource<bool> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Execute(Netstack stack, Instant now) => Completion.TrySetResult(ThreadAffinity.PinCurrentThread(cpu));

    public override void Fail(Exception error) => Completion.TrySetException(error);
}
