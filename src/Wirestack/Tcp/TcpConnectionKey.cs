using Wirestack.Wire;

namespace Wirestack.Tcp;

// The 4-tuple that names a connection; a struct key with its own equality so that table lookups never box.
internal readonly struct TcpConnectionKey : IEquatable<TcpConnectionKey>
{
    public TcpConnectionKey(IpAddress localAddress, ushort localPort, IpAddress remoteAddress, ushort remotePort)
    {
        LocalAddress = localAddress;
        RemoteAddress = remoteAddress;
        LocalPort = localPort;
        RemotePort = remotePort;
    }

    public IpAddress LocalAddress { get; }
    public IpAddress RemoteAddress { get; }
    public ushort LocalPort { get; }
    public ushort RemotePort { get; }

    public bool Equals(TcpConnectionKey other) =>
        LocalPort == other.LocalPort && RemotePort == other.RemotePort && RemoteAddress.Equals(other.RemoteAddress) && LocalAddress.Equals(other.LocalAddress);

    public override bool Equals(object? obj) => obj is TcpConnectionKey other && Equals(other);

    public override int GetHashCode() =>
        HashCode.Combine(RemoteAddress.GetHashCode(), LocalAddress.GetHashCode(), (RemotePort << 16) | LocalPort);
}
