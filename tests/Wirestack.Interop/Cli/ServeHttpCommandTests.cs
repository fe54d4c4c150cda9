using Wirestack.AspNetCore;
using Wirestack.Interop.Infrastructure;
using Wirestack.Testing;

namespace Wirestack.Interop.Cli;

/// <summary>
/// `wirestack serve --http` as its own process, with <c>curl</c> in a namespace as the client: the ASP.NET Core demo app
/// on a Wirestack stack on TAP (the Wirestack Kestrel transport), and on kernel sockets with --network kernel.
/// </summary>
public sealed class ServeHttpCommandTests
{
    private const string KernelIpv4 = "10.241.0.1";
    private const string StackIpv4 = "10.241.0.2";
    private const int ResponseBytes = 1 << 20;
    private const int EchoBytes = 256 * 1024;
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Shutdown = TimeSpan.FromSeconds(15);

    [Fact]
    public void Curl_gets_and_posts_to_serve_http_over_tap()
    {
        RequireTools();
        using var ns = NetworkNamespace.Create();
        string tap = ServeCommandTests.TapInNamespace(ns);
        using var serve = CliProcess.StartIn(ns, "serve", "--device", $"tap:{tap}", "--ip", StackIpv4 + "/24", "--http", "8080");
        Assert.EndsWith("; http tcp/8080", serve.ReadLineStartingWith("ready wirestack on tap:", Startup), StringComparison.Ordinal);

        CurlChecked(ns, $"http://{StackIpv4}:8080");

        var (code, output, error) = Stop(serve);
        Assert.True(code == 0, output + error);
        Assert.Equal("", error);
        Assert.Matches($@"(?m)^http +tcp/8080: 3 requests; {EchoBytes} body bytes received, {HttpDemoEndpoints.Page.Length + ResponseBytes + EchoBytes} sent; 0 errors$", output);
        Assert.Matches(@"(?m)^tcp +3 accepted, 0 opened; ", output);
    }

    [Fact]
    public void Curl_gets_and_posts_to_serve_http_on_kernel_sockets_with_network_kernel()
    {
        RequireTools();
        using var ns = NetworkNamespace.Create();
        ns.Exec("ip", "addr", "add", KernelIpv4 + "/32", "dev", "lo").EnsureSuccess("ip addr add");
        using var serve = CliProcess.StartIn(ns, "serve", "--network", "kernel", "--ip", KernelIpv4 + "/32", "--http", "8080");
        Assert.Equal($"ready kernel sockets on {KernelIpv4}; http tcp/8080", serve.ReadLineStartingWith("ready ", Startup));

        CurlChecked(ns, $"http://{KernelIpv4}:8080");

        var (code, output, error) = Stop(serve);
        Assert.True(code == 0, output + error);
        Assert.Equal("", error);
        Assert.Matches($@"(?m)^http +tcp/8080: 3 requests; {EchoBytes} body bytes received, {HttpDemoEndpoints.Page.Length + ResponseBytes + EchoBytes} sent; 0 errors$", output);
    }

    private static void RequireTools()
    {
        Prerequisites.RequireRoot();
        Prerequisites.RequireTool("curl", "curl");
    }

    private static (int ExitCode, string Output, string Error) Stop(CliProcess serve)
    {
        serve.Signal("TERM");
        return serve.WaitForExit(Shutdown);
    }

    // GET / (the page), GET /bytes/1 MiB (the pattern, every byte checked), POST /echo with random bytes (the same back).
    private static void CurlChecked(NetworkNamespace ns, string baseUrl)
    {
        using var files = new TempDirectory();
        var page = ns.Exec(TimeSpan.FromSeconds(30), "curl", "-sS", "--fail", "-m", "20", baseUrl + "/");
        Assert.True(page.ExitCode == 0, page.StandardError);
        Assert.Contains("<h1>Served by ASP.NET Core</h1>", page.StandardOutput, StringComparison.Ordinal);

        string bytesFile = files.Path("bytes.out");
        ns.Exec(TimeSpan.FromSeconds(30), "curl", "-sS", "--fail", "-m", "20", "-o", bytesFile, $"{baseUrl}/bytes/{ResponseBytes}").EnsureSuccess("curl /bytes");
        byte[] received = File.ReadAllBytes(bytesFile);
        Assert.Equal(ResponseBytes, received.Length);
        for (int i = 0; i < received.Length; i++)
            if (received[i] != HttpDemoEndpoints.PatternByte(i)) Assert.Fail($"/bytes/{ResponseBytes}: byte {i} is {received[i]}, not {HttpDemoEndpoints.PatternByte(i)}");

        var sent = new byte[EchoBytes];
        Random.Shared.NextBytes(sent);
        string input = files.Write("echo.in", sent);
        string echoed = files.Path("echo.out");
        ns.Exec(TimeSpan.FromSeconds(30), "curl", "-sS", "--fail", "-m", "20", "-H", "Content-Type: application/octet-stream", "--data-binary", "@" + input,
            "-o", echoed, baseUrl + "/echo").EnsureSuccess("curl POST /echo");
        Assert.True(sent.AsSpan().SequenceEqual(File.ReadAllBytes(echoed)), "POST /echo returned other bytes than those sent");
    }
}
