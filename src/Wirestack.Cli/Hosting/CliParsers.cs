using System.CommandLine.Parsing;
using System.Globalization;
using Wirestack.Iface;
using Wirestack.Wire;

namespace Wirestack.Cli.Hosting;

/// <summary>
/// Parsers for option values that report a one-line, actionable error through System.CommandLine instead of
/// throwing.
/// </summary>
internal static class CliParsers
{
    public static DeviceSpec ParseDevice(ArgumentResult result)
    {
        string text = Single(result);
        if (DeviceSpec.TryParse(text, out var spec, out string? error)) return spec;
        result.AddError($"{Name(result)}: {error}");
        return default;
    }

    public static Ipv4InterfaceAddress ParseIpv4Cidr(ArgumentResult result)
    {
        string text = Single(result);
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 && Ipv4Address.TryParse(text, out _))
        {
            result.AddError($"{Name(result)} '{text}' has no prefix length; write it as {text}/24 (or the prefix of your subnet).");
            return default;
        }
        try
        {
            return Ipv4InterfaceAddress.Parse(text);
        }
        catch (FormatException)
        {
            result.AddError($"{Name(result)} '{text}' is not an IPv4 address with a prefix length, such as 10.0.0.2/24.");
            return default;
        }
    }

    public static Ipv6InterfaceAddress? ParseIpv6Cidr(ArgumentResult result)
    {
        string text = Single(result);
        try
        {
            return Ipv6InterfaceAddress.Parse(text);
        }
        catch (FormatException)
        {
            result.AddError($"{Name(result)} '{text}' is not an IPv6 address with a prefix length, such as fd00::2/64.");
            return null;
        }
    }

    public static IpAddress? ParseIpAddress(ArgumentResult result)
    {
        string text = Single(result);
        if (IpAddress.TryParse(text, out var address)) return address;
        result.AddError($"{Name(result)} '{text}' is not an IPv4 or IPv6 address (host names are not resolved).");
        return null;
    }

    public static MacAddress? ParseMac(ArgumentResult result)
    {
        string text = Single(result);
        if (MacAddress.TryParse(text, out var mac) && !mac.IsMulticast && mac != MacAddress.Zero) return mac;
        result.AddError($"{Name(result)} '{text}' is not a unicast MAC address, such as 02:00:00:00:00:01.");
        return null;
    }

    /// <summary>--network: stack or kernel.</summary>
    public static NetworkKind ParseNetwork(ArgumentResult result)
    {
        string text = Single(result);
        if (string.Equals(text, "stack", StringComparison.OrdinalIgnoreCase) || string.Equals(text, "wirestack", StringComparison.OrdinalIgnoreCase))
            return NetworkKind.Stack;
        if (string.Equals(text, "kernel", StringComparison.OrdinalIgnoreCase)) return NetworkKind.Kernel;
        result.AddError($"{Name(result)} must be 'stack' (Wirestack on --device) or 'kernel' (the kernel's sockets); got '{text}'.");
        return NetworkKind.Stack;
    }

    /// <summary>An integer within [min, max].</summary>
    public static int ParseInt(ArgumentResult result, int min, int max, string unit)
    {
        string text = Single(result);
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max)
            return value;
        result.AddError($"{Name(result)} must be {unit} from {min} to {max}; got '{text}'.");
        return min;
    }

    /// <summary>A byte count, with an optional binary suffix: 4096, 64K, 16M, 256MiB, 1G.</summary>
    public static long ParseSize(ArgumentResult result, long min, long max)
    {
        string text = Single(result);
        if (TryParseSize(text, out long value) && value >= min && value <= max) return value;
        result.AddError($"{Name(result)} must be a size from {min} to {max} bytes, such as 16M or 256MiB; got '{text}'.");
        return min;
    }

    /// <summary>Parses a byte count with an optional K, M, G or T suffix (powers of 1024), optionally followed by "iB" or "B".</summary>
    public static bool TryParseSize(string text, out long bytes)
    {
        bytes = 0;
        var span = text.AsSpan().Trim();
        if (span.EndsWith("iB", StringComparison.OrdinalIgnoreCase)) span = span[..^2];
        else if (span.EndsWith("B", StringComparison.OrdinalIgnoreCase)) span = span[..^1];
        int shift = 0;
        if (span.Length > 0)
        {
            switch (char.ToUpperInvariant(span[^1]))
            {
                case 'K': shift = 10; break;
                case 'M': shift = 20; break;
                case 'G': shift = 30; break;
                case 'T': shift = 40; break;
            }
            if (shift != 0) span = span[..^1];
        }
        if (!long.TryParse(span, NumberStyles.None, CultureInfo.InvariantCulture, out long number)) return false;
        if (number > long.MaxValue >> shift) return false;
        bytes = number << shift;
        return true;
    }

    private static string Single(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";

    private static string Name(ArgumentResult result) => result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;
}
