using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Wirestack.AspNetCore;

/// <summary>
/// A small HTTP app for trying a transport out and measuring it: <c>GET /</c> a static page, <c>GET /bytes/N</c> N bytes
/// (a fixed pattern, with Content-Length), <c>POST /echo</c> the request body back. The same endpoints run on kernel
/// sockets and on Wirestack.
/// </summary>
public static class HttpDemoEndpoints
{
    /// <summary>The largest <c>/bytes/N</c> served: 4 GiB.</summary>
    public const long MaxBytes = 4L << 30;

    /// <summary>The page <c>GET /</c> returns.</summary>
    public const string Page = """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>Wirestack</title></head>
        <body><h1>Served by ASP.NET Core</h1>
        <p>Try <a href="/bytes/1024">/bytes/1024</a> for sized responses, or POST a body to /echo.</p></body></html>

        """;

    // The pattern /bytes/N repeats: byte i is (i mod 251), so a client can check any range.
    private static readonly byte[] Pattern = MakePattern();
    private static readonly byte[] PageBytes = System.Text.Encoding.UTF8.GetBytes(Page);

    /// <summary>The byte at <paramref name="offset"/> of every <c>/bytes/N</c> response.</summary>
    public static byte PatternByte(long offset) => (byte)(offset % 251);

    /// <summary>Maps the three endpoints onto <paramref name="endpoints"/>.</summary>
    public static IEndpointRouteBuilder MapHttpDemo(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/", WritePageAsync);
        endpoints.MapGet("/bytes/{count}", WriteBytesAsync);
        endpoints.MapPost("/echo", EchoAsync);
        return endpoints;
    }

    private static Task WritePageAsync(HttpContext context)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.ContentLength = PageBytes.Length;
        return context.Response.Body.WriteAsync(PageBytes, context.RequestAborted).AsTask();
    }

    private static async Task WriteBytesAsync(HttpContext context)
    {
        var response = context.Response;
        string? text = context.Request.RouteValues["count"] as string;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long count) || count > MaxBytes)
        {
            response.StatusCode = StatusCodes.Status400BadRequest;
            await response.WriteAsync($"/bytes/N: N is '{text}'; give a whole number of bytes from 0 to {MaxBytes}.\n", context.RequestAborted);
            return;
        }
        response.ContentType = "application/octet-stream";
        response.ContentLength = count;
        var writer = response.BodyWriter;
        long offset = 0;
        while (offset < count)
        {
            // Whole pattern periods from the right phase: each chunk continues the sequence where the last one stopped.
            int phase = (int)(offset % 251);
            int length = (int)Math.Min(count - offset, Pattern.Length - 251);
            var flushed = await writer.WriteAsync(Pattern.AsMemory(phase, length), context.RequestAborted);
            offset += length;
            if (flushed.IsCompleted || flushed.IsCanceled) return; // the client went away
        }
    }

    private static async Task EchoAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        response.ContentType = request.ContentType ?? "application/octet-stream";
        if (request.ContentLength is long length) response.ContentLength = length;
        var reader = request.BodyReader;
        var writer = response.BodyWriter;
        while (true)
        {
            var read = await reader.ReadAsync(context.RequestAborted);
            bool stopped = false;
            foreach (var segment in read.Buffer)
            {
                var flushed = await writer.WriteAsync(segment, context.RequestAborted);
                if (stopped = flushed.IsCompleted || flushed.IsCanceled) break;
            }
            reader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted || stopped) break;
        }
    }

    private static byte[] MakePattern()
    {
        // 64 KiB plus one period, so any phase has a full chunk after it.
        var pattern = new byte[(64 * 1024 / 251 + 1) * 251 + 251];
        for (int i = 0; i < pattern.Length; i++) pattern[i] = PatternByte(i);
        return pattern;
    }
}
