using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Wirestack.AspNetCore.Tests;

/// <summary>HTTP/1.1 through Kestrel on Wirestack, with an HttpClient on a second stack as the client.</summary>
public class HttpOverWirestackTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetsReturnThePageSizedBodiesAndTheEndPoints()
    {
        await using var bed = await KestrelTestBed.StartAsync(app => app.MapGet("/whoami", (HttpContext c) =>
            $"{c.Connection.RemoteIpAddress}:{c.Connection.RemotePort} -> {c.Connection.LocalIpAddress}:{c.Connection.LocalPort} {c.Connection.Id}"));
        using var client = bed.CreateClient();
        Assert.Equal(HttpDemoEndpoints.Page, await client.GetStringAsync(KestrelTestBed.HttpUri("/"), Token));
        foreach (int size in (int[])[0, 1, 250, 251, 252, 65_537, 1_000_000])
        {
            byte[] body = await client.GetByteArrayAsync(KestrelTestBed.HttpUri($"/bytes/{size}"), Token);
            Assert.Equal(size, body.Length);
            for (int i = 0; i < body.Length; i++)
                if (body[i] != HttpDemoEndpoints.PatternByte(i)) Assert.Fail($"/bytes/{size}: byte {i} is {body[i]}, expected {HttpDemoEndpoints.PatternByte(i)}");
        }
        using var bad = await client.GetAsync(KestrelTestBed.HttpUri("/bytes/lots"), Token);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("give a whole number of bytes", await bad.Content.ReadAsStringAsync(Token));
        string whoami = await client.GetStringAsync(KestrelTestBed.HttpUri("/whoami"), Token);
        Assert.Matches(@"^10\.0\.0\.2:\d+ -> 10\.0\.0\.1:8080 ws[0-9a-f]+$", whoami);
        bed.AssertNoProblems();
    }

    [Fact]
    public async Task PostsAreEchoedWithAndWithoutContentLength()
    {
        await using var bed = await KestrelTestBed.StartAsync();
        using var client = bed.CreateClient();
        foreach (int size in (int[])[0, 1, 1000, 300_000])
        {
            byte[] data = RandomNumberGenerator.GetBytes(size);
            using var sized = await client.PostAsync(KestrelTestBed.HttpUri("/echo"), new ByteArrayContent(data), Token);
            Assert.Equal(HttpStatusCode.OK, sized.StatusCode);
            Assert.Equal(data, await sized.Content.ReadAsByteArrayAsync(Token));
            // A stream of unknown length goes chunked.
            var chunked = new StreamContent(new UnseekableStream(data));
            using var response = await client.PostAsync(KestrelTestBed.HttpUri("/echo"), chunked, Token);
            Assert.Equal(data, await response.Content.ReadAsByteArrayAsync(Token));
        }
        bed.AssertNoProblems();
    }

    [Fact]
    public async Task KeepAliveServesManyRequestsOnOneConnection()
    {
        await using var bed = await KestrelTestBed.StartAsync();
        using var client = bed.CreateClient();
        for (int i = 0; i < 25; i++) Assert.Equal(100, (await client.GetByteArrayAsync(KestrelTestBed.HttpUri("/bytes/100"), Token)).Length);
        Assert.Equal(1, bed.ClientConnections);
        Assert.Equal(1, bed.Factory.AcceptedConnections);
        bed.AssertNoProblems();
    }

    [Fact]
    public async Task PipelinedRequestsAreAnsweredInOrder()
    {
        await using var bed = await KestrelTestBed.StartAsync();
        await using var connection = await bed.ConnectRawAsync();
        // Three requests in one write; the last asks the server to close so the test reads to the end of the stream.
        string requests = "GET /bytes/10 HTTP/1.1\r\nHost: a\r\n\r\nPOST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello" +
            "GET /bytes/30 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
        await connection.WriteAsync(Encoding.ASCII.GetBytes(requests), Token);
        string responses = Encoding.Latin1.GetString(await ReadToEndAsync(connection));
        var lengths = System.Text.RegularExpressions.Regex.Matches(responses, @"Content-Length: (\d+)").Select(m => m.Groups[1].Value);
        Assert.Equal(["10", "5", "30"], lengths);
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Count(responses, "HTTP/1.1 200 OK"));
        Assert.Contains("\r\n\r\nhello", responses);
        Assert.Equal(1, bed.Factory.AcceptedConnections);
        bed.AssertNoProblems();
    }

    [Fact]
    public async Task AThousandRequestsOnFiftyConcurrentConnections()
    {
        await using var bed = await KestrelTestBed.StartAsync();
        using var client = bed.CreateClient(maxConnections: 50);
        var requests = new Task<byte[]>[1000];
        for (int i = 0; i < requests.Length; i++) requests[i] = client.GetByteArrayAsync(KestrelTestBed.HttpUri($"/bytes/{1000 + i}"), Token);
        var bodies = await Task.WhenAll(requests);
        for (int i = 0; i < bodies.Length; i++) Assert.Equal(1000 + i, bodies[i].Length);
        TestContext.Current.TestOutputHelper?.WriteLine($"{bed.ClientConnections} connections opened, {bed.Factory.AcceptedConnections} accepted");
        Assert.InRange(bed.ClientConnections, 2, 50);
        Assert.Equal(bed.ClientConnections, bed.Factory.AcceptedConnections);
        bed.AssertNoProblems();
    }

    [Fact]
    public async Task SixtyFourMebibytesGoBothWaysIntact()
    {
        const int Size = 64 << 20;
        await using var bed = await KestrelTestBed.StartAsync(app => app.MapPost("/sha256", KestrelTestBed.HashRequestBody), kestrel: options => options.Limits.MaxRequestBodySize = Size);
        using var client = bed.CreateClient();
        byte[] data = RandomNumberGenerator.GetBytes(Size);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // Upload: the server hashes what it received.
        using var upload = await client.PostAsync(KestrelTestBed.HttpUri("/sha256"), new ByteArrayContent(data), Token);
        Assert.Equal($"{Size} {Convert.ToHexString(SHA256.HashData(data))}", await upload.Content.ReadAsStringAsync(Token));
        var uploaded = clock.Elapsed;
        // Download: the client hashes the pattern it received.
        byte[] expected = new byte[Size];
        for (int i = 0; i < Size; i++) expected[i] = HttpDemoEndpoints.PatternByte(i);
        using var download = await client.GetAsync(KestrelTestBed.HttpUri($"/bytes/{Size}"), HttpCompletionOption.ResponseHeadersRead, Token);
        clock.Restart();
        var (length, digest) = await HashAsync(await download.Content.ReadAsStreamAsync(Token));
        TestContext.Current.TestOutputHelper?.WriteLine($"64 MiB up in {uploaded.TotalMilliseconds:F0} ms, down in {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(Size, length);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(expected)), digest);
        bed.AssertNoProblems();
    }

    internal static async Task<(long Length, string Digest)> HashAsync(Stream stream)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, Token)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
        }
        return (total, Convert.ToHexString(hash.GetHashAndReset()));
    }

    internal static async Task<byte[]> ReadToEndAsync(Sockets.TcpConnection connection)
    {
        var all = new MemoryStream();
        byte[] buffer = new byte[16 * 1024];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        int read;
        while ((read = await connection.ReadAsync(buffer, timeout.Token)) > 0) all.Write(buffer, 0, read);
        return all.ToArray();
    }

    /// <summary>A stream HttpClient cannot know the length of, so it sends it chunked.</summary>
    private sealed class UnseekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
