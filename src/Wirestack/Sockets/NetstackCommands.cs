using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>Binds a <see cref="UdpSocket"/> on the stack thread.</summary>
internal sealed class BindUdpCommand(UdpSocket socket, IpEndpoint local, UdpSocketFlags flags) : NetstackCommand
{
    public TaskCompletionSource<IpEndpoint> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Execute(Netstack stack, Instant now)
    {
        try
        {
            Completion.TrySetResult(stack.BindUdp(socket, local, flags));
        }
        catch (WirestackException e)
        {
            socket.OnBindFailed();
            Completion.TrySetException(e);
        }
    }

    public override void Fail(Exception error)
    {
        socket.OnBindFailed();
        Completion.TrySetException(error);
    }
}

/// <summary>Joins or leaves a multicast group on a bound <see cref="UdpSocket"/>'s binding.</summary>
internal sealed class UdpMembershipCommand(UdpSocket socket, IpAddress group, bool join) : NetstackCommand
{
    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Execute(Netstack stack, Instant now)
    {
        try
        {
            stack.ChangeUdpMembership(socket, group, join, now);
            Completion.TrySetResult();
        }
        catch (WirestackException e)
        {
            Completion.TrySetException(e);
        }
    }

    public override void Fail(Exception error) => Completion.TrySetException(error);
}

/// <summary>Unbinds a closed <see cref="UdpSocket"/> on the stack thread.</summary>
internal sealed class CloseUdpCommand(UdpSocket socket) : NetstackCommand
{
    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Execute(Netstack stack, Instant now)
    {
        stack.UnbindUdp(socket);
        Completion.TrySetResult();
    }

    // The stack is gone, and its bindings with it: closing succeeded.
    public override void Fail(Exception error) => Completion.TrySetResult();
}

/// <summary>Sends an echo request and waits (on the stack thread's list) for its reply.</summary>
internal sealed class PingCommand(IpAddress destination, int payloadLength, TimeSpan timeout) : NetstackCommand
{
    public TaskCompletionSource<PingReply> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IpAddress Destination { get; } = destination;

    public int PayloadLength { get; } = payloadLength;

    public ushort Identifier { get; set; }

    public ushort SequenceNumber { get; set; }

    public Instant SentAt { get; set; }

    public Instant Deadline { get; set; }

    public TimeSpan Timeout { get; } = timeout;

    public override void Execute(Netstack stack, Instant now) => stack.StartPing(this, now);

    public override void Fail(Exception error) => Completion.TrySetException(error);
}
