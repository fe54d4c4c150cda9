using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Wirestack.Sockets;

namespace Wirestack.AspNetCore.Tests;

/// <summary>
/// Kestrel on a two-shard <see cref="ShardedNetwork"/> (software RSS over one pipe device): every endpoint listens on
/// both shards, each connection runs on the shard its flow hashes to, and the transport's behaviour (counters,
/// graceful shutdown, resets) is the same as on one stack.
/// </summary>
[Collection(nameof(UnobservedExceptionCollection))]
public class ShardedKestrelTests
{
    private const int Shards = 2;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetsAndPostsWorkOnEveryShard()
    {
        KestrelTestBed? current = null;
        await using var bed = await KestrelTestBed.StartAsync(app => app.MapGet("/shard", (HttpContext c) =>
            current!.ShardOf(c).ToString(System.Globalization.CultureInfo.InvariantCulture)), shards: Shards);
        current = bed;
        Assert.Same(bed.Sharded, bed.Factory.Network);
        Assert.Null(bed.Factory.Stack);
        Assert.Equal(bed.Sharded!.Shards, bed.Factory.Stacks);
        var seen = new bool[Shards];
        // A fresh client (and so a fresh connection, from a new port) until both shards have served one.
        for (int attempt = 0; attempt < 64 && Array.IndexOf(seen, false) >= 0; attempt++)
        {
            using var client = bed.CreateClient();
            int shard = int.Parse(await client.GetStringAsync(KestrelTestBed.HttpUri("/shard"), Token), System.Globalization.CultureInfo.InvariantCulture);
            seen[shard] = true;
            Assert.Equal(HttpDemoEndpoints.Page, await client.GetStringAsync(KestrelTestBed.HttpUri("/"), Token));
            byte[] body = await client.GetByteArrayAsync(KestrelTestBed.HttpUri("/bytes/100000"), Token);
            Assert.Equal(100_000, body.Length);
            for (int i = 0; i < body.Length; i++)
                if (body[i] != HttpDemoEndpoints.PatternByte(i)) Assert.Fail($"/bytes/100000 on shard {shard}: byte {i} is {body[i]}");
            byte[] data = RandomNumberGenerator.GetBytes(50_000);
            using var echoed = await client.PostAsync(KestrelTestBed.HttpUri("/echo"), new ByteArrayContent(data), Token);
            Assert.Equal(HttpStatusCode.OK, echoed.StatusCode);
            Assert.Equal(data, await echoed.Content.ReadAsByteArrayAsync(Token));
        }
        Assert.All(seen, Assert.True);
        Assert.Equal(bed.ClientConnections, bed.Factory.AcceptedConnections);
        bed.AssertNoProblems();
    }

    [Fact]
    public async Task KeepAliveServesManyRequestsOnOneConnectionOnOneShard()
    {
        var shards = new ConcurrentBag<int>();
        KestrelTestBed? current = null;
        await using var bed = await KestrelTestBed.StartAsync(app => app.MapGet("/shard", (HttpContext c) =>
        {
            shards.Add(current!.ShardOf(c));
            return "ok";
        }), shards: Shards);
        current = bed;
        using var client = bed.CreateClient();
        for (int i = 0; i < 25; i++) Assert.Equal("ok", await client.GetStringAsync(KestrelTestBed.HttpUri("/shard"), Token));
        Assert.Equal(1, bed.ClientConnections);
        Assert.Equal(1, bed.Factory.AcceptedConnections);
        Assert.Equal(1, bed.Factory.OpenConnections);
        Assert.Single(shards.Distinct());
        bed.AssertNoProblems();
    }

    [Fact]
    public async Task AThousandRequestsOnFiftyConcurrentConnectionsLandOnBothShards()
    {
        var perConnection = new ConcurrentDictionary<string, int>();
        KestrelTestBed? current = null;
        await using var bed = await KestrelTestBed.StartAsync(app => app.Use(async (context, next) =>
        {
            perConnection.TryAdd(context.Connection.Id, current!.ShardOf(context));
            await next(context);
        }), shards: Shards);
        current = bed;
        using var client = bed.CreateClient(maxConnections: 50);
        var requests = new Task<byte[]>[1000];
        for (int i = 0; i < requests.Length; i++) requests[i] = client.GetByteArrayAsync(KestrelTestBed.HttpUri($"/bytes/{1000 + i}"), Token);
        var bodies = await Task.WhenAll(requests);
        for (int i = 0; i < bodies.Length; i++) Assert.Equal(1000 + i, bodies[i].Length);
        var perShard = new int[Shards];
        foreach (int shard in perConnection.Values) perShard[shard]++;
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{bed.ClientConnections} connections opened, {bed.Factory.AcceptedConnections} accepted; per shard: {string.Join(", ", perShard)}");
        Assert.InRange(bed.ClientConnections, 2, 50);
        Assert.Equal(bed.ClientConnections, bed.Factory.AcceptedConnections);
        Assert.Equal(bed.ClientConnections, perConnection.Count);
        Assert.All(perShard, count => Assert.True(count > 0, $"a shard served no connection: {string.Join(", ", perShard)}"));
        // Each shard's own TCP table took exactly the connections seen on it.
        for (int i = 0; i < Shards; i++) Assert.Equal(perShard[i], bed.Sharded!.Shards[i].Interface.TcpCounters.ConnectionsAccepted);
        bed.AssertNoProblems();
    }

    [Fact]
    public async Task SixteenMebibytesGoBothWaysIntact()
    {
        const int Size = 16 << 20;
        await using var bed = await KestrelTestBed.StartAsync(app => app.MapPost("/sha256", KestrelTestBed.HashRequestBody), kestrel: options => options.Limits.MaxRequestBodySize = Size, shards: Shards);
        using var client = bed.CreateClient();
        byte[] data = RandomNumberGenerator.GetBytes(Size);
        using var upload = await client.PostAsync(KestrelTestBed.HttpUri("/sha256"), new ByteArrayContent(data), Token);
        Assert.Equal($"{Size} {Convert.ToHexString(SHA256.HashData(data))}", await upload.Content.ReadAsStringAsync(Token));
        byte[] expected = new byte[Size];
        for (int i = 0; i < Size; i++) expected[i] = HttpDemoEndpoints.PatternByte(i);
        using var download = await client.GetAsync(KestrelTestBed.HttpUri($"/bytes/{Size}"), HttpCompletionOption.ResponseHeadersRead, Token);
        var (length, digest) = await HttpOverWirestackTests.HashAsync(await download.Content.ReadAsStreamAsync(Token));
        Assert.Equal(Size, length);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(expected)), digest);
        bed.AssertNoProblems();
    }

    [Fact]
    public async Task GracefulShutdownDrainsConnectionsOnBothShardsThenCloses()
    {
        var entered = new ConcurrentDictionary<int, bool>();
        int requests = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        KestrelTestBed? current = null;
        await using var bed = await KestrelTestBed.StartAsync(app => app.MapGet("/slow", async (HttpContext c) =>
        {
            entered[current!.ShardOf(c)] = true;
            Interlocked.Increment(ref requests);
            await release.Task;
            return "done";
        }), shards: Shards);
        current = bed;
        // Requests in flight on fresh connections until both shards hold at least one, plus idle keep-alive connections.
        var clients = new List<HttpClient>();
        var inFlight = new List<Task<HttpResponseMessage>>();
        try
        {
            for (int i = 0; i < 64 && entered.Count < Shards; i++)
            {
                var client = bed.CreateClient();
                clients.Add(client);
                inFlight.Add(client.GetAsync(KestrelTestBed.HttpUri("/slow"), Token));
                await KestrelFeaturesOverWirestackTests.WaitUntilAsync(() => Volatile.Read(ref requests) == clients.Count, "the request to reach the app");
            }
            Assert.Equal(Shards, entered.Count);
            var idle = bed.CreateClient();
            clients.Add(idle);
            Assert.Equal(HttpDemoEndpoints.Page, await idle.GetStringAsync(KestrelTestBed.HttpUri("/"), Token));

            var stopping = bed.App.StopAsync(CancellationToken.None);
            // Both shards stop listening: new connections (whichever shard they hash to) are refused.
            await KestrelFeaturesOverWirestackTests.WaitUntilAsync(() => AreRefused(bed, 8), "the listeners on every shard to close");
            Assert.False(stopping.IsCompleted, "Kestrel stopped before its requests in flight finished");
            release.SetResult();
            foreach (var request in inFlight)
            {
                using var response = await request.WaitAsync(TimeSpan.FromSeconds(10), Token);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("done", await response.Content.ReadAsStringAsync(Token));
                Assert.True(response.Headers.ConnectionClose, "a draining Kestrel asks the client to close");
            }
            await stopping.WaitAsync(TimeSpan.FromSeconds(10), Token);
            await bed.WaitForServerConnectionsReleasedAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, bed.Factory.OpenConnections);
            bed.AssertNoProblems();
        }
        finally
        {
            release.TrySetResult();
            foreach (var client in clients) client.Dispose();
        }
    }

    [Fact]
    public async Task ResetsFromEitherSideReleaseConnectionsOnEveryShard()
    {
        using var watch = new UnobservedExceptionWatch();
        await using var bed = await KestrelTestBed.StartAsync(app =>
        {
            app.MapGet("/endless", async (HttpContext c) =>
            {
                byte[] chunk = new byte[64 * 1024];
                try
                {
                    while (!(await c.Response.BodyWriter.WriteAsync(chunk, c.RequestAborted)).IsCompleted)
                    {
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
            app.MapGet("/abort", (HttpContext c) => c.Abort());
        }, shards: Shards);
        // Enough connections that both shards see each kind of end.
        for (int i = 0; i < 12; i++)
        {
            var connection = await bed.ConnectRawAsync();
            await connection.WriteAsync(System.Text.Encoding.ASCII.GetBytes("GET /endless HTTP/1.1\r\nHost: a\r\n\r\n"), Token);
            byte[] buffer = new byte[64 * 1024];
            for (long received = 0; received < 256 << 10;) received += await connection.ReadAsync(buffer, Token);
            connection.Abort();

            var aborted = await bed.ConnectRawAsync();
            await aborted.WriteAsync(System.Text.Encoding.ASCII.GetBytes("GET /abort HTTP/1.1\r\nHost: a\r\n\r\n"), Token);
            var error = await Record.ExceptionAsync(async () => await HttpOverWirestackTests.ReadToEndAsync(aborted));
            Assert.True(error is null or WirestackException { ErrorCode: WirestackErrorCode.Reset }, error?.ToString());
            aborted.Dispose();
        }
        await bed.WaitForServerConnectionsReleasedAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(24, bed.Factory.AcceptedConnections);
        Assert.All(bed.Sharded!.Shards, shard => Assert.True(shard.Interface.TcpCounters.ConnectionsAccepted > 0, "a shard took no connection"));
        bed.AssertNoProblems();
        watch.AssertNone();
    }

    // Connects a few times (each from a new port, so to either shard) and says whether every attempt was refused.
    private static bool AreRefused(KestrelTestBed bed, int attempts)
    {
        for (int i = 0; i < attempts; i++)
        {
            try
            {
                bed.ConnectRawAsync().AsTask().GetAwaiter().GetResult().Abort();
                return false;
            }
            catch (WirestackException e) when (e.ErrorCode == WirestackErrorCode.Refused)
            {
            }
        }
        return true;
    }
}
