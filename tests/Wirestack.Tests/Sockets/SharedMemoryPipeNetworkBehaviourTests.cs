using Wirestack.Nic;
using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.Tests.Sockets;

/// <summary>
/// The behaviour suite on two Wirestack stacks joined by a shared-memory pipe (both ends in this process): the
/// sockets runtime sleeps in the device's futex wait and is woken by the peer's flush and by its own commands.
/// </summary>
public sealed class SharedMemoryPipeNetworkBehaviourTests : NetworkBehaviourTests
{
    public override ValueTask InitializeAsync()
    {
        string path = $"wirestack-behaviour-{Environment.ProcessId}-{Guid.NewGuid():N}";
        // The stacks own the devices; the creator's deletes the file when its stack is disposed.
        var first = SharedMemoryPipeDevice.Create(path);
        var second = SharedMemoryPipeDevice.Open(path);
        ServerNetwork = new StackNetwork(Stack(second, "02:00:00:00:00:0b", "10.0.0.2/24"));
        ClientNetwork = new StackNetwork(Stack(first, "02:00:00:00:00:0a", "10.0.0.1/24"));
        ServerAddress = IpAddress.Parse("10.0.0.2");
        return ValueTask.CompletedTask;
    }

    // No host answers ARP for this address on the pipe: the SYN never leaves.
    protected override Task<(IpEndpoint EndPoint, IDisposable Keeper)> SilentEndPointAsync() =>
        Task.FromResult((new IpEndpoint(IpAddress.Parse("10.0.0.99"), 80), (IDisposable)new MemoryStream()));

    private static Netstack Stack(SharedMemoryPipeDevice device, string mac, string address) =>
        new NetstackBuilder().UseDevice(device).WithMacAddress(MacAddress.Parse(mac)).AddAddress(address).Build();
}
