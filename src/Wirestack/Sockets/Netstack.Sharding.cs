using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Sockets;

// A stack that is one shard of a ShardedNetwork: its connects pick local ports whose replies the steering brings back
// to this shard (the classic trick of RSS-aware stacks), instead of the interface's next free ephemeral port.
public sealed partial class Netstack
{
    /// <summary>Set once by <see cref="ShardedNetwork"/> before any connect; null for a stack on its own.</summary>
    internal ShardPortSelector? ConnectPorts { get; set; }

    // Stack thread.
    private bool TryConnectSteered(IpEndpoint remote, Instant now, out TcpHandle handle)
    {
        if (ConnectPorts is not { } ports || !_interface.TrySelectTcpSourceAddress(remote.Address, now, out var local))
            return _interface.TryConnectTcp(remote, 0, now, out handle);
        // A taken port fails the connect; the next candidate is another port of ours, so a few tries are plenty
        // unless the connection table itself is full.
        for (int attempt = 0; attempt < 32; attempt++)
        {
            if (!ports.TryNext(local, remote, out ushort port)) break;
            if (_interface.TryConnectTcp(remote, port, now, out handle)) return true;
        }
        handle = default;
        return false;
    }
}
