using Wirestack.Cli.Hosting;
using Wirestack.Wire;

namespace Wirestack.Cli.Mcast;

/// <summary>What `wirestack mcast send` or `mcast recv` was asked to do.</summary>
internal sealed record McastOptions
{
    /// <summary>The multicast group and port.</summary>
    public required IpEndpoint Group { get; init; }

    /// <summary>Where the socket comes from.</summary>
    public required NetworkKind Network { get; init; }

    /// <summary>The stack's device and addresses; null when --device was not given (allowed on the kernel).</summary>
    public HostOptions? Host { get; init; }

    /// <summary>The --ip address, if given (on the kernel, it picks the multicast interface).</summary>
    public Ipv4Address? Ipv4 { get; init; }

    /// <summary>The --ip6 address, if given.</summary>
    public Ipv6Address? Ipv6 { get; init; }

    /// <summary>For recv: stop after this many datagrams; null receives until interrupted.</summary>
    public int? Count { get; init; }

    /// <summary>Parses GROUP:PORT: <c>239.1.2.3:5000</c> or <c>[ff15::1]:5000</c>, a multicast group and a port from 1.</summary>
    public static bool TryParseGroup(string text, out IpEndpoint group, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        group = default;
        if (!IpEndpoint.TryParse(text, out var endpoint))
        {
            error = $"'{text}' is not GROUP:PORT; write it as 239.1.2.3:5000, or [ff15::1]:5000 for IPv6.";
            return false;
        }
        if (!endpoint.Address.IsMulticast)
        {
            error = $"{endpoint.Address} is not a multicast group; use one from 224.0.0.0/4 (such as 239.1.2.3) or ff00::/8 (such as ff15::1).";
            return false;
        }
        if (endpoint.Port == 0)
        {
            error = $"the port in '{text}' is 0; give a port from 1 to 65535.";
            return false;
        }
        group = endpoint;
        error = null;
        return true;
    }
}
