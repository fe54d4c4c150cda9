using Wirestack.Wire;

namespace Wirestack.Tests.Wire;

public sealed class IpAddressTests
{
    [Fact]
    public void Ipv4_is_held_mapped_and_comes_back_unchanged()
    {
        IpAddress address = new Ipv4Address(192, 0, 2, 7);
        Assert.True(address.IsIpv4);
        Assert.False(address.IsIpv6);
        Assert.Equal(new Ipv4Address(192, 0, 2, 7), address.AsIpv4);
        Assert.Equal(Ipv6Address.Parse("::ffff:192.0.2.7"), address.AsIpv6);
        Assert.Equal("192.0.2.7", address.ToString());
        Assert.Equal(4, address.WireLength);
    }

    [Fact]
    public void Ipv6_and_mapped_ipv6_compare_by_value()
    {
        var v6 = IpAddress.Parse("2001:db8::1");
        Assert.True(v6.IsIpv6);
        Assert.Equal(16, v6.WireLength);
        Assert.Equal(v6, new IpAddress(Ipv6Address.Parse("2001:db8::1")));
        Assert.NotEqual(v6, IpAddress.Parse("2001:db8::2"));
        // The mapped form of an IPv4 address is that IPv4 address.
        Assert.Equal(IpAddress.Parse("10.0.0.1"), new IpAddress(Ipv6Address.Parse("::ffff:10.0.0.1")));
        Assert.Equal(IpAddress.Parse("10.0.0.1").GetHashCode(), new IpAddress(Ipv6Address.Parse("::ffff:10.0.0.1")).GetHashCode());
    }

    [Fact]
    public void Unspecified_and_multicast_follow_the_family()
    {
        Assert.True(IpAddress.AnyIpv4.IsUnspecified);
        Assert.True(IpAddress.AnyIpv4.IsIpv4);
        Assert.True(IpAddress.AnyIpv6.IsUnspecified);
        Assert.True(IpAddress.AnyIpv6.IsIpv6);
        Assert.NotEqual(IpAddress.AnyIpv4, IpAddress.AnyIpv6);
        Assert.True(IpAddress.Parse("239.1.2.3").IsMulticast);
        Assert.True(IpAddress.Parse("ff02::1").IsMulticast);
        Assert.False(IpAddress.Parse("10.1.2.3").IsMulticast);
    }

    [Fact]
    public void Bad_text_names_itself()
    {
        Assert.False(IpAddress.TryParse("300.1.1.1", out _));
        var error = Assert.Throws<FormatException>(() => IpAddress.Parse("nope"));
        Assert.Contains("'nope'", error.Message);
    }

    [Fact]
    public void Converts_to_and_from_system_net()
    {
        var v4 = IpAddress.Parse("192.0.2.1");
        Assert.Equal(v4, IpAddress.FromIPAddress(v4.ToIPAddress()));
        var v6 = IpAddress.Parse("2001:db8::5");
        Assert.Equal(v6, IpAddress.FromIPAddress(v6.ToIPAddress()));
        Assert.Throws<ArgumentException>(() => IpAddress.FromIPAddress(System.Net.IPAddress.Parse("fe80::1%2")));
    }

    [Theory]
    [InlineData("192.0.2.1:80", "192.0.2.1", 80)]
    [InlineData("[2001:db8::1]:443", "2001:db8::1", 443)]
    public void Endpoints_parse_and_print(string text, string address, int port)
    {
        Assert.True(IpEndpoint.TryParse(text, out var endpoint));
        Assert.Equal(IpAddress.Parse(address), endpoint.Address);
        Assert.Equal(port, endpoint.Port);
        Assert.Equal(text, endpoint.ToString());
    }

    [Theory]
    [InlineData("2001:db8::1:80")]
    [InlineData("192.0.2.1")]
    [InlineData("192.0.2.1:70000")]
    public void Bad_endpoints_are_refused(string text) => Assert.False(IpEndpoint.TryParse(text, out _));
}
