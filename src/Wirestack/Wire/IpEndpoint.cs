using System.Net;

namespace Wirestack.Wire;

/// <summary>An address and a port, by value: the allocation-free counterpart of <see cref="IPEndPoint"/>.</summary>
/// <param name="Address">The IPv4 or IPv6 address.</param>
/// <param name="Port">The port.</param>
public readonly record struct IpEndpoint(IpAddress Address, ushort Port)
{
    /// <summary>Converts from <see cref="IPEndPoint"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The port is above 65535.</exception>
    public static IpEndpoint FromIPEndPoint(IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return new(IpAddress.FromIPAddress(endpoint.Address), checked((ushort)endpoint.Port));
    }

    /// <summary>Converts to <see cref="IPEndPoint"/> (allocates).</summary>
    public IPEndPoint ToIPEndPoint() => new(Address.ToIPAddress(), Port);

    /// <summary>Parses <c>192.0.2.1:80</c> or <c>[2001:db8::1]:80</c>.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out IpEndpoint endpoint)
    {
        endpoint = default;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(text[(colon + 1)..], out var port)) return false;
        var host = text[..colon];
        if (host.Length >= 2 && host[0] == '[' && host[^1] == ']') host = host[1..^1];
        else if (host.Contains(':')) return false; // bare IPv6 needs brackets to tell the port apart
        if (!IpAddress.TryParse(host, out var address)) return false;
        endpoint = new IpEndpoint(address, port);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Address.IsIpv4 ? $"{Address}:{Port}" : $"[{Address}]:{Port}";
}
