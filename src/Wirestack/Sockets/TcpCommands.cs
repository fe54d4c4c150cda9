using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>Opens a TCP connection on the stack thread; the connection's core completes the caller.</summary>
internal sealed class ConnectTcpCommand(TcpConnectionCore core) : NetstackCommand
{
    public override void Execute(Netstack stack, Instant now) => stack.ExecuteConnect(core, now);

    public override void Fail(Exception error) => core.Connecting?.TrySetException(error);
}

/// <summary>Starts a <see cref="TcpListener"/> on the stack thread.</summary>
internal sealed class ListenTcpCommand(TcpListener listener, IpEndpoint local) : NetstackCommand
{
    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Execute(Netstack stack, Instant now)
    {
        try
        {
            stack.ExecuteListen(listener, local);
            Completion.TrySetResult();
        }
        catch (WirestackException e)
        {
            Completion.TrySetException(e);
        }
    }

    public override void Fail(Exception error) => Completion.TrySetException(error);
}

/// <summary>Stops a <see cref="TcpListener"/>; connections it had not handed out are reset.</summary>
internal sealed class CloseTcpListenerCommand(TcpListener listener) : NetstackCommand
{
    public override void Execute(Netstack stack, Instant now) => stack.ExecuteCloseListener(listener, now);

    public override void Fail(Exception error) => listener.OnStopped();
}
