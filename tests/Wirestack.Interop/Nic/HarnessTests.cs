using Wirestack.Interop.Infrastructure;
using Wirestack.Testing;

namespace Wirestack.Interop.Nic;

/// <summary>The namespace harness itself: it makes what it says and leaves nothing behind.</summary>
public class HarnessTests
{
    [Fact]
    public void NamespaceAndVethAreCreatedReachableAndRemoved()
    {
        string name, host;
        using (var ns = NetworkNamespace.Create())
        using (var veth = VethPair.Create(ns, "10.199.0.1/24"))
        {
            name = ns.Name;
            host = veth.HostEnd;
            var show = ns.Exec("ip", "-o", "addr", "show", "dev", veth.PeerEnd).EnsureSuccess("ip addr show");
            Assert.Contains("10.199.0.1/24", show.StandardOutput, StringComparison.Ordinal);
            ns.Exec("ping", "-c", "1", "-W", "2", "10.199.0.1").EnsureSuccess("ping inside the namespace");
            Assert.Equal(0, ProcessRunner.Run("ip", "link", "show", host).ExitCode);
        }
        Assert.DoesNotContain(name, ProcessRunner.Run("ip", "netns", "list").StandardOutput, StringComparison.Ordinal);
        Assert.NotEqual(0, ProcessRunner.Run("ip", "link", "show", host).ExitCode);
    }
}
