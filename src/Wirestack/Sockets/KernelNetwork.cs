using System.Net;

namespace Wirestack.Sockets;

/// <summary>An <see cref="INetwork"/> on the operating system's sockets (<see cref="System.Net.Sockets.Socket"/>).</summary>
public sealed class KernelNetwork : INetwork
{
    private int _disposed;

    /// <summary>Uses the kernel's sockets; <paramref name="multicastInterface"/> picks the interface (by one of its IPv4 addresses) for multicast, or the kernel's choice when null.</summary>
    public KernelNetwork(IPAddress? multicastInterface = null) => MulticastInterface = multicastInterface;

    /// <summary>The IPv4 address of the interface multicast groups are joined and sent on; null for the kernel's choice.</summary>
    public IPAddress? MulticastInterface { get; }

    /// <inheritdoc />
    public string Name => "kernel";

    /// <inheritdoc />
    public bool SupportsMulticast => true;

    /// <inheritdoc />
    public IUdpSocket CreateUdpSocket()
    {
        if (Volatile.Read(ref _disposed) != 0) throw new WirestackException(WirestackErrorCode.Closed, "The KernelNetwork is disposed.");
        return new KernelUdpSocket(MulticastInterface);
    }

    /// <summary>Marks the network disposed; sockets already created stay open until disposed themselves.</summary>
    public void Dispose() => Volatile.Write(ref _disposed, 1);

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
