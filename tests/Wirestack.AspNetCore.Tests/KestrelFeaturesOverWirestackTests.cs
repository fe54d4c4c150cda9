using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Wirestack.Sockets;

namespace Wirestack.AspNetCore.Tests;

/// <summary>Kestrel's own features on the Wirestack transport: HTTPS middleware, connection limits, timeouts.</summary>
public class KestrelFeaturesOverWirestackTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HttpsThroughKestrelsMiddlewareWithATestCertificate()
    {
        using var certificate = TestCertificate.Create();
        await using var bed = await KestrelTestBed.StartAsync(
            app => app.MapGet("/tls", (HttpContext c) => $"{c.Request.Scheme} {c.Features.Get<Microsoft.AspNetCore.Connections.Features.ITlsHandshakeFeature>()?.Protocol}"),
            certificate: certificate);
        using var client = bed.CreateClient();
        Assert.Equal(HttpDemoEndpoints.Page, await client.GetStringAsync(KestrelTestBed.HttpsUri("/"), Token));
        Assert.Matches("^https Tls1[23]$", await client.GetStringAsync(KestrelTestBed.HttpsUri("/tls"), Token));
        byte[] data = RandomNumberGenerator.GetBytes(1 << 20);
        using var echo = await client.PostAsync(KestrelTestBed.HttpsUri("/echo"), new ByteArrayContent(data), Token);
        Assert.Equal(data, await echo.Content.ReadAsByteArrayAsync(Token));
        // The same app still answers plain HTTP on its other endpoint.
        Assert.Equal(100, (await client.GetByteArrayAsync(KestrelTestBed.HttpUri("/bytes/100"), Token)).Length);
        // A client that does not trust the certificate is refused by its own TLS, over the same transport.
        using var untrusting = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) => (await bed.ClientStack.ConnectAsync(
                new Wire.IpEndpoint(KestrelTestBed.ServerAddress, KestrelTestBed.HttpsPort), ct)).AsStream(),
        });
        await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.GetStringAsync(KestrelTestBed.HttpsUri("/"), Token));
        client.Dispose(); // its keep-alive connections, plain and TLS, close
        await bed.WaitForServerConnectionsReleasedAsync(TimeSpan.FromSeconds(10));
        // Kestrel logs a failed handshake at debug level only; nothing else may have gone wrong.
        bed.AssertNoProblems();
    }

    [Fact]
    public async Task MaxConcurrentConnectionsIsHonoured()
    {
        await using var bed = await KestrelTestBed.StartAsync(kestrel: options => options.Limits.MaxConcurrentConnections = 2);
        var first = await bed.ConnectRawAsync();
        var second = await bed.ConnectRawAsync();
        Assert.StartsWith("HTTP/1.1 200", await RequestAsync(first, "/bytes/10"));
        Assert.StartsWith("HTTP/1.1 200", await RequestAsync(second, "/bytes/10"));
        // A third connection over the limit is closed by Kestrel without an answer.
        await using (var third = await bed.ConnectRawAsync())
        {
            await third.WriteAsync(Encoding.ASCII.GetBytes("GET /bytes/10 HTTP/1.1\r\nHost: a\r\n\r\n"), Token);
            Assert.Empty(await ReadUntilClosedAsync(third));
        }
        // Room again once one of the two goes away.
        await first.DisposeAsync();
        await WaitUntilAsync(() => bed.Factory.OpenConnections <= 1, "Kestrel to release the first connection");
        await using var fourth = await bed.ConnectRawAsync();
        Assert.StartsWith("HTTP/1.1 200", await RequestAsync(fourth, "/bytes/10"));
        await second.DisposeAsync();
    }

    [Fact]
    public async Task AnIdleKeepAliveConnectionIsClosedAfterTheKeepAliveTimeout()
    {
        await using var bed = await KestrelTestBed.StartAsync(kestrel: options => options.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(1));
        await using var connection = await bed.ConnectRawAsync();
        Assert.StartsWith("HTTP/1.1 200", await RequestAsync(connection, "/bytes/10"));
        var idle = System.Diagnostics.Stopwatch.StartNew();
        Assert.Empty(await ReadUntilClosedAsync(connection)); // the server's FIN
        // Kestrel checks timeouts on its once-a-second heartbeat.
        Assert.InRange(idle.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
        await bed.WaitForServerConnectionsReleasedAsync(TimeSpan.FromSeconds(10));
        bed.AssertNoProblems();
    }

    [Fact]
    public async Task TheAnyAddressListensOnTheStack()
    {
        await using var bed = await KestrelTestBed.StartAsync(kestrel: options => options.ListenAnyIP(8081));
        using var client = bed.CreateClient();
        Assert.Equal(HttpDemoEndpoints.Page, await client.GetStringAsync($"http://{KestrelTestBed.ServerAddress}:8081/", Token));
    }

    /// <summary>Sends one GET and reads one response (headers and a Content-Length body) as text.</summary>
    internal static async Task<string> RequestAsync(TcpConnection connection, string path)
    {
        await connection.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: a\r\n\r\n"), Token);
        var text = new StringBuilder();
        byte[] buffer = new byte[4096];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        while (true)
        {
            int read = await connection.ReadAsync(buffer, timeout.Token);
            if (read == 0) return text.ToString();
            text.Append(Encoding.Latin1.GetString(buffer, 0, read));
            string so = text.ToString();
            int end = so.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            var length = System.Text.RegularExpressions.Regex.Match(so, @"Content-Length: (\d+)");
            if (end >= 0 && length.Success && so.Length >= end + 4 + int.Parse(length.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
                return so;
        }
    }

    /// <summary>Reads until the server closes (FIN, or a reset); returns what arrived.</summary>
    internal static async Task<byte[]> ReadUntilClosedAsync(TcpConnection connection)
    {
        try
        {
            return await HttpOverWirestackTests.ReadToEndAsync(connection);
        }
        catch (WirestackException e) when (e.ErrorCode == WirestackErrorCode.Reset)
        {
            return [];
        }
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Gave up waiting for {what}.");
            await Task.Delay(20, Token);
        }
    }
}
