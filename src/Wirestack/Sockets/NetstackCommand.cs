namespace Wirestack.Sockets;

/// <summary>
/// A control operation (bind, close, ping, join a group) on its way to the stack thread. Commands travel on the
/// stack's channel; bulk data never does (it goes through each socket's rings).
/// </summary>
internal abstract class NetstackCommand
{
    /// <summary>Runs on the stack thread (or under the manual-poll lock).</summary>
    public abstract void Execute(Netstack stack, Instant now);

    /// <summary>Fails the command's caller: the stack closed before the command ran.</summary>
    public abstract void Fail(Exception error);
}
