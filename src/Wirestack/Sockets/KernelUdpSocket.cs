using System.Net;
using System.Net.Sockets;
using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>
/// A kernel UDP socket behind <see cref="IUdpSocket"/>: a <see cref="Socket"/> of the family of the first address
/// it is bound or sends to, with <see cref="SocketException"/>s turned into <see cref="WirestackException"/>s.
/// </summary>
internal sealed class KernelUdpSocket(IPAddress? multicastInterface) : IUdpSocket
{
    private readonly Lock _create = new();
    private Socket? _socket;
    private bool _disposed;

    public IpEndpoint LocalEndPoint =>
        _socket?.LocalEndPoint is IPEndPoint local ? IpEndpoint.FromIPEndPoint(local) : default;

    public void Bind(IpEndpoint localEndPoint, UdpSocketFlags flags = UdpSocketFlags.None)
    {
        var socket = SocketFor(localEndPoint.Address, binding: true);
        Translate(() =>
        {
            if ((flags & UdpSocketFlags.ReuseAddress) != 0) socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if ((flags & UdpSocketFlags.AllowBroadcast) != 0) socket.EnableBroadcast = true;
            socket.Bind(localEndPoint.ToIPEndPoint());
        }, $"Binding to {localEndPoint}");
    }

    public async ValueTask<int> SendToAsync(ReadOnlyMemory<byte> data, IpEndpoint remoteEndPoint, CancellationToken cancellationToken = default)
    {
        var socket = SocketFor(remoteEndPoint.Address, binding: false);
        try
        {
            return await socket.SendToAsync(data, SocketFlags.None, remoteEndPoint.ToIPEndPoint(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            throw Map(e, $"Sending to {remoteEndPoint}");
        }
    }

    public int SendTo(ReadOnlySpan<byte> data, IpEndpoint remoteEndPoint, TimeSpan timeout)
    {
        var socket = SocketFor(remoteEndPoint.Address, binding: false);
        try
        {
            socket.SendTimeout = ToMilliseconds(timeout);
            return socket.SendTo(data, SocketFlags.None, remoteEndPoint.ToIPEndPoint());
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            throw Map(e, $"Sending to {remoteEndPoint}");
        }
    }

    public async ValueTask<DatagramReceiveResult> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var socket = BoundSocket();
        try
        {
            var result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, AnyOf(socket), cancellationToken).ConfigureAwait(false);
            return new DatagramReceiveResult(result.ReceivedBytes, IpEndpoint.FromIPEndPoint((IPEndPoint)result.RemoteEndPoint));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            throw Map(e, "Receiving");
        }
    }

    public int ReceiveFrom(Span<byte> buffer, out IpEndpoint remoteEndPoint, TimeSpan timeout)
    {
        var socket = BoundSocket();
        try
        {
            socket.ReceiveTimeout = ToMilliseconds(timeout);
            EndPoint from = AnyOf(socket);
            int length = socket.ReceiveFrom(buffer, SocketFlags.None, ref from);
            remoteEndPoint = IpEndpoint.FromIPEndPoint((IPEndPoint)from);
            return length;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            throw new WirestackException(WirestackErrorCode.TimedOut, $"No datagram arrived on {LocalEndPoint} within {timeout}.", e);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            throw Map(e, "Receiving");
        }
    }

    public void JoinMulticastGroup(IpAddress group) => Membership(group, join: true);

    public void LeaveMulticastGroup(IpAddress group) => Membership(group, join: false);

    public void Dispose()
    {
        lock (_create)
        {
            _disposed = true;
            _socket?.Dispose();
        }
    }

    private void Membership(IpAddress group, bool join)
    {
        if (!group.IsMulticast) throw new WirestackException(WirestackErrorCode.InvalidArgument, $"{group} is not a multicast address.");
        var socket = BoundSocket();
        Translate(() =>
        {
            if (group.IsIpv4)
            {
                var option = multicastInterface is null ? new MulticastOption(group.ToIPAddress()) : new MulticastOption(group.ToIPAddress(), multicastInterface);
                socket.SetSocketOption(SocketOptionLevel.IP, join ? SocketOptionName.AddMembership : SocketOptionName.DropMembership, option);
            }
            else
            {
                socket.SetSocketOption(SocketOptionLevel.IPv6, join ? SocketOptionName.AddMembership : SocketOptionName.DropMembership, new IPv6MulticastOption(group.ToIPAddress()));
            }
        }, $"{(join ? "Joining" : "Leaving")} {group}");
    }

    private Socket SocketFor(IpAddress address, bool binding)
    {
        lock (_create)
        {
            if (_disposed) throw new WirestackException(WirestackErrorCode.Closed, "The UDP socket is closed.");
            if (_socket is not null) return _socket;
            var socket = new Socket(address.IsIpv4 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
            if (address.IsIpv4 && multicastInterface is not null)
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, multicastInterface.GetAddressBytes());
            if (!binding) socket.Bind(new IPEndPoint(address.IsIpv4 ? IPAddress.Any : IPAddress.IPv6Any, 0));
            _socket = socket;
            return socket;
        }
    }

    private Socket BoundSocket()
    {
        lock (_create)
        {
            if (_disposed) throw new WirestackException(WirestackErrorCode.Closed, "The UDP socket is closed.");
            return _socket ?? throw new WirestackException(WirestackErrorCode.InvalidState, "The UDP socket is not bound: bind it (or send from it) before receiving.");
        }
    }

    private static EndPoint AnyOf(Socket socket) =>
        new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);

    private static int ToMilliseconds(TimeSpan timeout) =>
        timeout == Timeout.InfiniteTimeSpan ? 0 : (int)Math.Clamp(Math.Ceiling(timeout.TotalMilliseconds), 1, int.MaxValue);

    private static void Translate(Action action, string operation)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            throw Map(e, operation);
        }
    }

    internal static WirestackException Map(Exception e, string operation)
    {
        if (e is ObjectDisposedException) return new WirestackException(WirestackErrorCode.Closed, $"{operation} failed: the UDP socket is closed.", e);
        var error = ((SocketException)e).SocketErrorCode;
        var code = error switch
        {
            SocketError.AddressAlreadyInUse => WirestackErrorCode.AddressInUse,
            SocketError.AddressNotAvailable => WirestackErrorCode.AddressNotAvailable,
            SocketError.NetworkUnreachable or SocketError.HostUnreachable or SocketError.NetworkDown or SocketError.HostDown => WirestackErrorCode.Unreachable,
            SocketError.TimedOut or SocketError.WouldBlock => WirestackErrorCode.TimedOut,
            SocketError.ConnectionRefused => WirestackErrorCode.Refused,
            SocketError.ConnectionReset => WirestackErrorCode.Reset,
            SocketError.MessageSize => WirestackErrorCode.MessageTooLong,
            SocketError.OperationAborted or SocketError.Shutdown or SocketError.NotSocket => WirestackErrorCode.Closed,
            SocketError.NoBufferSpaceAvailable => WirestackErrorCode.NoBufferSpace,
            SocketError.InvalidArgument or SocketError.AddressFamilyNotSupported => WirestackErrorCode.InvalidArgument,
            SocketError.OperationNotSupported or SocketError.ProtocolOption => WirestackErrorCode.NotSupported,
            _ => WirestackErrorCode.InvalidArgument,
        };
        return new WirestackException(code, $"{operation} failed: {e.Message} ({error}).", e);
    }
}
