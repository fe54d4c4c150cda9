using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>
/// Picks local ports for one shard's outgoing connections: ephemeral ports (49152-65535) whose 4-tuple, as the
/// peer's replies carry it, the steering maps to this shard. Used only on the shard's stack thread.
/// </summary>
internal sealed class ShardPortSelector
{
    private const int First = 49152;
    private const int Count = 65536 - First;
    private readonly FlowSteering _steering;
    private readonly int _shard;
    private int _next;

    public ShardPortSelector(FlowSteering steering, int shard)
    {
        _steering = steering;
        _shard = shard;
        // Start each shard somewhere else, as the kernel randomises its ephemeral search.
        _next = Random.Shared.Next(Count);
    }

    /// <summary>The next port after the last one handed out that steers replies to this shard; false if none does.</summary>
    public bool TryNext(IpAddress local, IpEndpoint remote, out ushort port)
    {
        for (int tried = 0; tried < Count; tried++)
        {
            port = (ushort)(First + _next);
            _next = (_next + 1) % Count;
            // The reply travels from the peer to us: source is the remote end.
            if (_steering.ShardOf(remote.Address, remote.Port, local, port) == _shard) return true;
        }
        port = 0;
        return false;
    }
}
