using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wirestack.Nic;
using Wirestack.Sockets;
using Wirestack.Wire;

namespace Wirestack.AspNetCore.Tests;

/// <summary>
/// An ASP.NET Core app (the demo endpoints plus whatever a test maps) on Kestrel over Wirestack: the server stack
/// (or, with shards, a <see cref="ShardedNetwork"/> over software RSS) at 10.0.0.1 and a client stack at 10.0.0.2 on
/// an in-process <see cref="PipeDevice"/> pair. HttpClients made by
/// <see cref="CreateClient"/> open their connections on the client stack. Kestrel's and the transport's warnings and
/// errors are collected in <see cref="Problems"/>.
/// </summary>
internal sealed class KestrelTestBed : IAsyncDisposable
{
    public const int HttpPort = 8080;
    public const int HttpsPort = 8443;
    public static readonly IpAddress ServerAddress = IpAddress.Parse("10.0.0.1");

    private int _clientConnections;

    private KestrelTestBed(INetwork server, Netstack client, WebApplication app, X509Certificate2? certificate, ConcurrentQueue<string> problems)
    {
        Problems = problems;
        ServerNetwork = server;
        ServerStacks = server is ShardedNetwork sharded ? sharded.Shards : [((StackNetwork)server).Stack];
        ClientStack = client;
        App = app;
        Certificate = certificate;
        Factory = app.Services.GetRequiredService<WirestackConnectionListenerFactory>();
    }

    /// <summary>The server's network: a <see cref="StackNetwork"/> (one stack), or a <see cref="ShardedNetwork"/>.</summary>
    public INetwork ServerNetwork { get; }

    /// <summary>The server's stacks: the one stack, or the shards in order.</summary>
    public IReadOnlyList<Netstack> ServerStacks { get; }

    /// <summary>The server's network when it has shards, else null.</summary>
    public ShardedNetwork? Sharded => ServerNetwork as ShardedNetwork;

    /// <summary>TCP connections the server's stacks serve, all shards together.</summary>
    public int ServerConnectionCount
    {
        get
        {
            int count = 0;
            foreach (var stack in ServerStacks) count += stack.TcpConnectionCount;
            return count;
        }
    }

    public Netstack ClientStack { get; }

    public WebApplication App { get; }

    public WirestackConnectionListenerFactory Factory { get; }

    public X509Certificate2? Certificate { get; }

    /// <summary>Warnings and errors logged by the app, Kestrel or the transport.</summary>
    public ConcurrentQueue<string> Problems { get; }

    /// <summary>Connections the clients opened (ConnectCallback calls).</summary>
    public int ClientConnections => Volatile.Read(ref _clientConnections);

    public static Uri HttpUri(string path) => new($"http://{ServerAddress}:{HttpPort}{path}");

    public static Uri HttpsUri(string path) => new($"https://{ServerAddress}:{HttpsPort}{path}");

    /// <summary>
    /// Starts the app; <paramref name="map"/> adds endpoints, <paramref name="kestrel"/> changes Kestrel's options;
    /// with <paramref name="shards"/> above 1 the server is a <see cref="ShardedNetwork"/> given as
    /// <see cref="WirestackTransportOptions.Network"/>, else one stack given as <see cref="WirestackTransportOptions.Stack"/>.
    /// </summary>
    public static async Task<KestrelTestBed> StartAsync(Action<WebApplication>? map = null, Action<KestrelServerOptions>? kestrel = null,
        X509Certificate2? certificate = null, Action<WirestackTransportOptions>? configure = null, int shards = 1)
    {
        // Software RSS hands each shard its frames through a ring of its own; a deeper pipe keeps bursts from 50 connections.
        var (first, second) = shards > 1 ? PipeDevice.CreatePair(new PipeDeviceOptions { RingSize = 4096 }) : PipeDevice.CreatePair();
        INetwork server = shards > 1
            ? ShardedNetwork.Create(first, shards, builder => Configure(builder, "02:00:00:00:00:0a", "10.0.0.1/24"))
            : new StackNetwork(BuildStack(first, "02:00:00:00:00:0a", "10.0.0.1/24"));
        var client = BuildStack(second, "02:00:00:00:00:0b", "10.0.0.2/24");
        var problems = new ConcurrentQueue<string>();
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ProblemLoggerProvider(problems));
        builder.WebHost.UseWirestack(options =>
        {
            if (server is StackNetwork single) options.Stack = single.Stack;
            else options.Network = server;
            configure?.Invoke(options);
        });
        builder.WebHost.ConfigureKestrel(options =>
        {
            options.Listen(ServerAddress.ToIPAddress(), HttpPort);
            if (certificate is not null) options.Listen(ServerAddress.ToIPAddress(), HttpsPort, listen => listen.UseHttps(certificate));
            kestrel?.Invoke(options);
        });
        var app = builder.Build();
        app.MapHttpDemo();
        map?.Invoke(app);
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new KestrelTestBed(server, client, app, certificate, problems);
    }

    /// <summary>An HttpClient whose connections are Wirestack connections from the client stack.</summary>
    public HttpClient CreateClient(int maxConnections = int.MaxValue)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var remote = new IpEndpoint(IpAddress.Parse(context.DnsEndPoint.Host), (ushort)context.DnsEndPoint.Port);
                var connection = await ClientStack.ConnectAsync(remote, cancellationToken);
                Interlocked.Increment(ref _clientConnections);
                return connection.AsStream();
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                // Trust exactly the test's certificate, nothing else.
                RemoteCertificateValidationCallback = (_, presented, _, _) => Certificate is not null && presented is not null &&
                    presented.GetCertHashString() == Certificate.GetCertHashString(),
            },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>The shard whose stack serves the request's connection (0 on one stack).</summary>
    public int ShardOf(Microsoft.AspNetCore.Http.HttpContext context)
    {
        // Kestrel falls back to the connection's features, and the transport's context is its own id feature.
        var connection = (WirestackConnectionContext)context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionIdFeature>()!;
        return Sharded?.ShardOf(connection.Connection) ?? 0;
    }

    /// <summary>A raw TCP connection from the client stack to the HTTP port.</summary>
    public ValueTask<TcpConnection> ConnectRawAsync() =>
        ClientStack.ConnectAsync(new IpEndpoint(ServerAddress, HttpPort), TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

    /// <summary>Waits until every connection Kestrel had is released by it and by the server stack.</summary>
    public async Task WaitForServerConnectionsReleasedAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Factory.OpenConnections != 0 || ServerConnectionCount != 0)
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"After {timeout}: Kestrel still holds {Factory.OpenConnections} connection(s) and the server stack(s) serve {ServerConnectionCount}.");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    public void AssertNoProblems() => Assert.True(Problems.IsEmpty, "Logged warnings or errors:\n" + string.Join("\n", Problems));

    public async ValueTask DisposeAsync()
    {
        foreach (string problem in Problems) TestContext.Current.TestOutputHelper?.WriteLine(problem);
        try
        {
            await App.StopAsync(CancellationToken.None);
        }
        finally
        {
            await App.DisposeAsync();
            await ServerNetwork.DisposeAsync();
            await ClientStack.DisposeAsync();
        }
    }

    private static Netstack BuildStack(PipeDevice device, string mac, string address)
    {
        var builder = new NetstackBuilder().UseDevice(device);
        Configure(builder, mac, address);
        return builder.Build();
    }

    private static void Configure(NetstackBuilder builder, string mac, string address) =>
        builder
            .WithMacAddress(MacAddress.Parse(mac))
            .AddAddress(address)
            .WithIpv6(false)
            .ConfigureInterface(o => o with { AnnounceAddresses = false });

    /// <summary>
    /// A route handler that reads the request body as it streams in and answers "LENGTH SHA256HEX" (a
    /// <see cref="Delegate"/>, so that minimal APIs write its string as the response).
    /// </summary>
    public static readonly Delegate HashRequestBody = HashRequestBodyAsync;

    private static async Task<string> HashRequestBodyAsync(HttpContext c)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long total = 0;
        while (true)
        {
            var read = await c.Request.BodyReader.ReadAsync(c.RequestAborted);
            foreach (var segment in read.Buffer) hash.AppendData(segment.Span);
            total += read.Buffer.Length;
            c.Request.BodyReader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted) break;
        }
        return $"{total} {Convert.ToHexString(hash.GetHashAndReset())}";
    }
}
