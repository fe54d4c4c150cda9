using Wirestack.Cli.Hosting;

namespace Wirestack.Tests.Cli;

public sealed class DeviceSpecTests
{
    [Theory]
    [InlineData("tap:ws0", "Tap", "ws0", 0, "tap:ws0")]
    [InlineData("TAP:ws0", "Tap", "ws0", 0, "tap:ws0")]
    [InlineData("packet:eth0", "PacketRing", "eth0", 0, "packet:eth0")]
    [InlineData("xdp:eth0", "Xdp", "eth0", 0, "xdp:eth0:0")]
    [InlineData("xdp:enp1s0f1:3", "Xdp", "enp1s0f1", 3, "xdp:enp1s0f1:3")]
    [InlineData("tap:abcdefghijklmno", "Tap", "abcdefghijklmno", 0, "tap:abcdefghijklmno")]
    [InlineData("packet:veth-a.10", "PacketRing", "veth-a.10", 0, "packet:veth-a.10")]
    public void Parses_every_kind(string text, string kind, string name, int queue, string canonical)
    {
        var spec = DeviceSpec.Parse(text);
        Assert.Equal(new DeviceSpec(Enum.Parse<DeviceKind>(kind), name, queue), spec);
        Assert.Equal(canonical, spec.ToString());
        Assert.Equal(spec, DeviceSpec.Parse(spec.ToString()));
    }

    [Theory]
    [InlineData("", "the device is empty; give tap:NAME, packet:IFACE or xdp:IFACE[:QUEUE].")]
    [InlineData("eth0", "device 'eth0' has no kind; write tap:eth0, packet:eth0 or xdp:eth0.")]
    [InlineData("tun:ws0", "unknown device kind 'tun' in 'tun:ws0'; use tap:NAME, packet:IFACE or xdp:IFACE[:QUEUE].")]
    [InlineData("tap:", "the interface name in 'tap:' is empty; name the interface, as in tap:ws0.")]
    [InlineData("tap:abcdefghijklmnop", "the interface name in 'tap:abcdefghijklmnop' is 16 characters; Linux allows at most 15.")]
    [InlineData("packet:a/b", "the interface name in 'packet:a/b' 'a/b' contains '/', which Linux does not allow in interface names.")]
    [InlineData("packet:eth0:1", "the interface name in 'packet:eth0:1' 'eth0:1' contains ':', which Linux does not allow in interface names.")]
    [InlineData("xdp:eth0:x", "the queue in 'xdp:eth0:x' is 'x'; write a queue number from 0, as in xdp:eth0:0.")]
    [InlineData("xdp:eth0:-1", "the queue in 'xdp:eth0:-1' is '-1'; write a queue number from 0, as in xdp:eth0:0.")]
    [InlineData("tap:..", "the interface name in 'tap:..' '..' is reserved.")]
    public void Rejects_with_a_message_that_says_what_to_write(string text, string message)
    {
        Assert.False(DeviceSpec.TryParse(text, out _, out string? error));
        Assert.Equal(message, error);
        Assert.Equal(message, Assert.Throws<FormatException>(() => DeviceSpec.Parse(text)).Message);
    }

    [Theory]
    [InlineData("4096", 4096L)]
    [InlineData("64K", 64L << 10)]
    [InlineData("16M", 16L << 20)]
    [InlineData("256MiB", 256L << 20)]
    [InlineData("1g", 1L << 30)]
    [InlineData("2TB", 2L << 40)]
    public void Sizes_take_binary_suffixes(string text, long bytes)
    {
        Assert.True(CliParsers.TryParseSize(text, out long value));
        Assert.Equal(bytes, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("M")]
    [InlineData("-1")]
    [InlineData("16X")]
    [InlineData("1.5M")]
    [InlineData("99999999999999999999")]
    [InlineData("9999999999999999T")]
    public void Bad_sizes_are_refused(string text) => Assert.False(CliParsers.TryParseSize(text, out _));
}
