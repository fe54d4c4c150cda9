using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Wirestack.Sockets;

namespace Wirestack.AspNetCore.Tests;

/// <summary>
/// Ends of connections on the Wirestack transport: graceful shutdown with requests in flight, and a reset from
/// either side in the middle of a response. Each must release the connection on both Kestrel's side and the
/// stack's, log no warning, and leave no unobserved task exception.
/// </summary>
[Collection(nameof(UnobservedExceptionCollection))]
public class ShutdownAndAbortTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GracefulShutdownFinishesRequestsInFlightThenCloses()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var bed = await KestrelTestBed.StartAsync(app => app.MapGet("/slow", async () =>
        {
            entered.TrySetResult();
            await release.Task;
            return "done";
        }));
        using var client = bed.CreateClient();
        var inFlight = client.GetAsync(KestrelTestBed.HttpUri("/slow"), Token);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);
        var stopping = bed.App.StopAsync(CancellationToken.None);
        // The listener goes first: a new connection is refused while the request in flight goes on.
        await KestrelFeaturesOverWirestackTests.WaitUntilAsync(() => IsRefused(bed), "the listener to close");
        Assert.False(stopping.IsCompleted, "Kestrel stopped before its request in flight finished");
        Assert.False(inFlight.IsCompleted);
        release.SetResult();
        using var response = await inFlight.WaitAsync(TimeSpan.FromSeconds(10), Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("done", await response.Content.ReadAsStringAsync(Token));
        Assert.True(response.Headers.ConnectionClose, "a draining Kestrel asks the client to close");
        await stopping.WaitAsync(TimeSpan.FromSeconds(10), Token);
        await bed.WaitForServerConnectionsReleasedAsync(TimeSpan.FromSeconds(10));
        bed.AssertNoProblems();
    }

    [Fact]
    public async Task AClientResetInTheMiddleOfAResponseReleasesTheConnection()
    {
        using var watch = new UnobservedExceptionWatch();
        var outcome = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var bed = await KestrelTestBed.StartAsync(app => app.MapGet("/endless", async (HttpContext c) =>
        {
            // Writes until the client goes away, then says how it learnt of it.
            byte[] chunk = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    var flushed = await c.Response.BodyWriter.WriteAsync(chunk, c.RequestAborted);
                    if (flushed.IsCompleted) break;
                }
                outcome.TrySetResult($"write completed, RequestAborted {c.RequestAborted.IsCancellationRequested}");
            }
            catch (OperationCanceledException)
            {
                outcome.TrySetResult("RequestAborted");
            }
        }));
        var connection = await bed.ConnectRawAsync();
        await connection.WriteAsync(Encoding.ASCII.GetBytes("GET /endless HTTP/1.1\r\nHost: a\r\n\r\n"), Token);
        byte[] buffer = new byte[64 * 1024];
        for (long received = 0; received < 1 << 20;) received += await connection.ReadAsync(buffer, Token);
        connection.Abort();
        string how = await outcome.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);
        TestContext.Current.TestOutputHelper?.WriteLine($"the app saw: {how}");
        Assert.Contains("RequestAborted", how);
        await bed.WaitForServerConnectionsReleasedAsync(TimeSpan.FromSeconds(10));
        bed.AssertNoProblems();
        watch.AssertNone();
    }

    [Fact]
    public async Task AServerAbortInTheMiddleOfAResponseReachesTheClientAndReleasesTheConnection()
    {
        using var watch = new UnobservedExceptionWatch();
        var headersSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var bed = await KestrelTestBed.StartAsync(app => app.MapGet("/abort", async (HttpContext c) =>
        {
            c.Response.ContentLength = 1 << 20;
            await c.Response.BodyWriter.WriteAsync(new byte[64 * 1024], c.RequestAborted);
            // A reset discards what is still queued, so abort only once the client has the start of the response.
            await headersSeen.Task;
            c.Abort();
        }));
        using (var client = bed.CreateClient())
        {
            using var response = await client.GetAsync(KestrelTestBed.HttpUri("/abort"), HttpCompletionOption.ResponseHeadersRead, Token);
            var body = await response.Content.ReadAsStreamAsync(Token);
            headersSeen.SetResult();
            // The client gets the first 64 KiB, then learns the response ended early (TcpConnectionStream reports the
            // reset as the WirestackException it is, which HttpClient passes on).
            var error = await Assert.ThrowsAnyAsync<Exception>(() => body.CopyToAsync(Stream.Null, Token));
            Assert.True(error is IOException || error is WirestackException { ErrorCode: WirestackErrorCode.Reset }, error.ToString());
        }
        await bed.WaitForServerConnectionsReleasedAsync(TimeSpan.FromSeconds(10));
        await KestrelFeaturesOverWirestackTests.WaitUntilAsync(() => bed.ClientStack.TcpConnectionCount == 0, "the client stack to release its connection");
        bed.AssertNoProblems();
        watch.AssertNone();
    }

    private static bool IsRefused(KestrelTestBed bed)
    {
        try
        {
            bed.ConnectRawAsync().AsTask().GetAwaiter().GetResult().Abort();
            return false;
        }
        catch (WirestackException e) when (e.ErrorCode == WirestackErrorCode.Refused)
        {
            return true;
        }
    }
}
