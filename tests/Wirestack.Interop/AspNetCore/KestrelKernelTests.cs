using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Wirestack.AspNetCore;
using Wirestack.Interop.Iface;
using Wirestack.Sockets;
using Wirestack.Testing;
using Wirestack.Wire;
using static Wirestack.Interop.Iface.KernelLink;

namespace Wirestack.Interop.AspNetCore;

/// <summary>
/// The demo app on Kestrel over a <see cref="Netstack"/> at 10.240.0.2:8080 on TAP or AF_PACKET over veth, with the
/// kernel's <c>curl</c> and <c>wrk</c> as clients in their namespace at 10.240.0.1.
/// </summary>
public class KestrelKernelTests
{
    private const int Port = 8080;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static string Url(string path) => $"http://{OurAddress}:{Port}{path}";

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.PacketRing)]
    public async Task CurlGetsPostsAndReusesItsConnection(LinkKind kind)
    {
        string curl = Prerequisites.RequireTool("curl", "curl");
        using var link = KernelLink.Create(kind, "wak");
        await using var stack = StackOn(link);
        await using var host = await DemoAppHost.StartAsync(OurAddress.ToIPAddress(), Port, stack, Token);
        var page = link.Namespace.Exec(TimeSpan.FromSeconds(30), curl, "-sS", "--fail", Url("/"));
        Assert.True(page.ExitCode == 0, page.StandardError);
        Assert.Equal(HttpDemoEndpoints.Page, page.StandardOutput);
        // 1 MiB down, checked byte for byte against the pattern through sha256.
        string downloaded = Path.Combine(Path.GetTempPath(), $"wirestack-kestrel-{Environment.ProcessId}-down");
        string upload = Path.Combine(Path.GetTempPath(), $"wirestack-kestrel-{Environment.ProcessId}-up");
        try
        {
            var down = link.Namespace.Exec(TimeSpan.FromSeconds(30), curl, "-sS", "--fail", "-o", downloaded, Url("/bytes/1048576"));
            Assert.True(down.ExitCode == 0, down.StandardError);
            byte[] expected = new byte[1 << 20];
            for (int i = 0; i < expected.Length; i++) expected[i] = HttpDemoEndpoints.PatternByte(i);
            Assert.Equal(SHA256.HashData(expected), SHA256.HashData(File.ReadAllBytes(downloaded)));
            // 4 MiB up and echoed back.
            byte[] data = RandomNumberGenerator.GetBytes(4 << 20);
            File.WriteAllBytes(upload, data);
            var echo = link.Namespace.Exec(TimeSpan.FromSeconds(30), curl, "-sS", "--fail", "--data-binary", "@" + upload,
                "-H", "Content-Type: application/octet-stream", "-o", downloaded, Url("/echo"));
            Assert.True(echo.ExitCode == 0, echo.StandardError);
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(File.ReadAllBytes(downloaded)));
        }
        finally
        {
            File.Delete(downloaded);
            File.Delete(upload);
        }
        // Three URLs in one curl: one connection, kept alive for the other two.
        var reuse = link.Namespace.Exec(TimeSpan.FromSeconds(30), curl, "-sS", "--fail", "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null",
            "-w", "%{num_connects}\n", Url("/bytes/10"), Url("/bytes/20"), Url("/"));
        Assert.True(reuse.ExitCode == 0, reuse.StandardError);
        Assert.Equal(["1", "0", "0"], reuse.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(host.Problems.IsEmpty, string.Join("\n", host.Problems));
        Assert.Null(stack.Failure);
    }

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.PacketRing)]
    public async Task WrkRunsTwoSecondsOnTenConnectionsWithoutErrors(LinkKind kind)
    {
        string wrk = Prerequisites.RequireTool("wrk", "wrk");
        using var link = KernelLink.Create(kind, "wak");
        await using var stack = StackOn(link);
        await using var host = await DemoAppHost.StartAsync(OurAddress.ToIPAddress(), Port, stack, Token);
        var run = link.Namespace.Exec(TimeSpan.FromSeconds(30), wrk, "-t1", "-c10", "-d2s", "--latency", Url("/bytes/100"));
        TestContext.Current.TestOutputHelper?.WriteLine(run.StandardOutput + run.StandardError);
        Assert.True(run.ExitCode == 0, run.StandardError);
        var result = WrkResult.Parse(run.StandardOutput);
        Assert.True(result.Requests > 100, $"only {result.Requests} requests in 2 s");
        Assert.Equal(0, result.Non2xx);
        // wrk prints the line only when some socket operation failed.
        Assert.Equal("", result.SocketErrors);
        Assert.True(host.Problems.IsEmpty, string.Join("\n", host.Problems));
        var factory = (WirestackConnectionListenerFactory)host.App.Services.GetService(typeof(WirestackConnectionListenerFactory))!;
        // Keep-alive: wrk's ten connections and the one it opens first to check the address, no more.
        Assert.InRange(factory.AcceptedConnections, 10, 11);
        Assert.Null(stack.Failure);
    }

    internal static Netstack StackOn(KernelLink link, bool busyPolling = false, TimeSpan? pollBeforeSleep = null) =>
        new NetstackBuilder()
            .UseDevice(link.Device, ownsDevice: false)
            .UseBusyPolling(busyPolling)
            .UsePollBeforeSleep(pollBeforeSleep ?? new NetstackOptions().PollBeforeSleep)
            .WithMacAddress(OurMac)
            .AddAddress(new IpAddress(OurAddress), 24)
            .Build();
}
