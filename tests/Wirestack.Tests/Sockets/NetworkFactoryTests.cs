using System.Reflection;
using Wirestack.Sockets;

namespace Wirestack.Tests.Sockets;

/// <summary>
/// Building a network from <see cref="NetstackOptions"/>: every shard gets every setting, and the arguments are
/// checked before any device is opened. (Opening TAP and AF_PACKET devices needs root: the interop tests do that.)
/// </summary>
public class NetworkFactoryTests
{
    [Fact]
    public void CopyToCopiesEverySettingAndNewLists()
    {
        var source = new NetstackOptions();
        // A distinct non-default value in every public property, found by reflection so that a setting added later
        // and forgotten in CopyTo fails here.
        int n = 0;
        foreach (var property in typeof(NetstackOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            n++;
            object value = property.PropertyType switch
            {
                var t when t == typeof(int) => 4096 * (n + 1),
                var t when t == typeof(bool) => !(bool)property.GetValue(source)!,
                var t when t == typeof(string) => $"s{n}",
                var t when t == typeof(TimeSpan) => TimeSpan.FromSeconds(n),
                var t when t == typeof(List<string>) => new List<string> { $"item{n}" },
                var t when t == typeof(NetstackDeviceKind) => NetstackDeviceKind.PacketRing,
                var t => throw new InvalidOperationException($"NetstackOptions.{property.Name} is a {t.Name}: teach this test (and CopyTo) about it."),
            };
            property.SetValue(source, value);
        }
        var target = new NetstackOptions();
        source.CopyTo(target);
        foreach (var property in typeof(NetstackOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            object? expected = property.GetValue(source);
            object? actual = property.GetValue(target);
            if (expected is List<string> list)
            {
                Assert.Equal(list, (List<string>)actual!);
                Assert.NotSame(list, actual);
            }
            else
            {
                Assert.True(Equals(expected, actual), $"CopyTo left NetstackOptions.{property.Name} at {actual}, not {expected}");
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65)]
    public void QueuesOutOfRangeAreRefusedBeforeAnyDeviceOpens(int queues)
    {
        var options = new NetstackOptions { Device = NetstackDeviceKind.Tap, DeviceName = "ws9", MacAddress = "02:00:00:00:00:01" };
        var error = Assert.Throws<WirestackException>(() => NetworkFactory.OpenNetwork(options, queues));
        Assert.Equal(WirestackErrorCode.InvalidArgument, error.ErrorCode);
        Assert.Contains($"queues is {queues}", error.Message);
    }

    [Fact]
    public void OptionsWithoutADeviceOrWithABadSettingAreRefused()
    {
        var noDevice = new NetstackOptions { MacAddress = "02:00:00:00:00:01" };
        Assert.Contains("Device is None", Assert.Throws<WirestackException>(() => NetworkFactory.OpenNetwork(noDevice, 2)).Message);
        var noMac = new NetstackOptions { Device = NetstackDeviceKind.Tap, DeviceName = "ws9" };
        Assert.Contains("MacAddress is required", Assert.Throws<WirestackException>(() => NetworkFactory.OpenNetwork(noMac, 2)).Message);
    }
}
