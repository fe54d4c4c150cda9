using System.Diagnostics;
using Wirestack.Iface;
using Wirestack.Interop.Infrastructure;
using Wirestack.Nic;
using Wirestack.Testing;
using Wirestack.Wire;
using static Wirestack.Interop.Iface.KernelLink;

namespace Wirestack.Interop.Iface;

/// <summary>
/// UDP and fragmentation against the kernel: a TAP device in a namespace where the kernel is 10.240.0.1/24 and the
/// Interface, driven by its poll loop, is 10.240.0.2. Kernel sockets are python3 one-liners in the namespace.
/// </summary>
public class InterfaceUdpKernelTests
{
    private const ushort OurPort = 6000;
    private const ushort KernelPort = 7000;
    private static readonly int[] Sizes = [1, 100, 1472, 1473, 4000, 8192];

    // The same bytes on both sides: the length picks the pattern, so either end can check what it got.
    private const string PythonPattern = "p=lambda n: bytes((i*7+n)%256 for i in range(n));";

    private static byte[] Pattern(int length)
    {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++) data[i] = (byte)((i * 7 + length) % 256);
        return data;
    }

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.PacketRing)]
    [InlineData(LinkKind.Xdp)]
    public void KernelSocketGetsItsDatagramsEchoedByABinding(LinkKind kind)
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        using var link = KernelLink.Create(kind, "wsu");
        var (ns, device, iface) = link;
        Assert.True(iface.TryBindUdp(OurPort, out var handle));
        byte[] buffer = new byte[65536];
        long echoed = 0;
        // Runs on the loop's thread, the Interface's only owner: echoes every datagram back to its sender.
        Instant Step(Instant now)
        {
            while (iface.TryReceiveUdp(handle, buffer, out int length, out var source, out ushort port))
                if (iface.TrySendUdp(handle, source, port, buffer.AsSpan(0, length), now)) echoed++;
            return Instant.MaxValue;
        }
        using var loop = new PollLoop(iface, Step);
        try
        {
            string script = "import socket;" + PythonPattern +
                "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.settimeout(5);s.bind(('10.240.0.1',0));\n" +
                $"for n in [{string.Join(',', Sizes)}]:\n" +
                $" s.sendto(p(n),('{OurAddress}',{OurPort}));d,a=s.recvfrom(65535)\n" +
                $" assert d==p(n) and a==('{OurAddress}',{OurPort}), (n,len(d),a)\n" +
                " print('ok',n)";
            var result = ns.Exec(TimeSpan.FromSeconds(60), python, "-c", script);
            loop.Stop();
            TestContext.Current.TestOutputHelper?.WriteLine($"{result.StandardOutput}{result.StandardError}\n{iface.Counters}\n{device.Counters}");
            Assert.False(loop.Failed, loop.Failure?.ToString());
            Assert.Equal(0, result.ExitCode);
            Assert.Equal(Sizes.Length, echoed);
            Assert.True(iface.Counters.DatagramsReassembled >= 3, "the kernel fragments 1473, 4000 and 8192 bytes");
            Assert.True(iface.Counters.FragmentsSent >= 2 + 3 + 6);
        }
        finally
        {
            loop.Stop();
        }
    }

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.PacketRing)]
    [InlineData(LinkKind.Xdp)]
    public void BindingGetsItsDatagramsEchoedByAKernelSocket(LinkKind kind)
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        using var link = KernelLink.Create(kind, "wsu");
        var (ns, device, iface) = link;
        Assert.True(iface.TryBindUdp(0, out var handle));
        ushort ourPort = iface.GetUdpPort(handle);
        string script = "import socket;" + PythonPattern +
            $"s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(('10.240.0.1',{KernelPort}));print('ready',flush=True)\n" +
            "while True:\n d,a=s.recvfrom(65535);s.sendto(d,a)";
        var server = ns.Start(python, "-c", script);
        Assert.Equal("ready", server.StandardOutput.ReadLine());

        byte[] buffer = new byte[65536];
        int next = 0;
        var resendAt = Instant.Zero;
        var received = new List<string>();
        // Sends the sizes one at a time, resending after a quiet second (UDP), and checks each echo.
        Instant Step(Instant now)
        {
            while (iface.TryReceiveUdp(handle, buffer, out int length, out var source, out ushort port))
            {
                if (next < Sizes.Length && source == KernelAddress && port == KernelPort && length == Sizes[next]
                    && buffer.AsSpan(0, length).SequenceEqual(Pattern(length)))
                {
                    received.Add($"{length}");
                    next++;
                    resendAt = Instant.Zero;
                }
            }
            if (next < Sizes.Length && now >= resendAt)
            {
                iface.TrySendUdp(handle, KernelAddress, KernelPort, Pattern(Sizes[next]), now);
                resendAt = now + TimeSpan.FromSeconds(1);
            }
            return next < Sizes.Length ? resendAt : Instant.MaxValue;
        }
        using var loop = new PollLoop(iface, Step);
        try
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(20) && !loop.Failed && Volatile.Read(ref next) < Sizes.Length) Thread.Sleep(20);
            loop.Stop();
            TestContext.Current.TestOutputHelper?.WriteLine($"port {ourPort}, echoes {string.Join(' ', received)}\n{iface.Counters}\n{device.Counters}");
            Assert.False(loop.Failed, loop.Failure?.ToString());
            Assert.Equal(Sizes.Length, next);
            Assert.InRange(ourPort, (ushort)49152, (ushort)65535);
            Assert.True(iface.Counters.DatagramsReassembled >= 3);
        }
        finally
        {
            loop.Stop();
        }
    }

    [Theory]
    [InlineData(LinkKind.Tap)]
    [InlineData(LinkKind.PacketRing)]
    [InlineData(LinkKind.Xdp)]
    public void KernelPingsWith4000BytesWithoutLoss(LinkKind kind)
    {
        Prerequisites.RequireTool("ping", "iputils-ping");
        using var link = KernelLink.Create(kind, "wsu");
        var (ns, device, iface) = link;
        using var loop = new PollLoop(iface, step: null);
        try
        {
            var ping = ns.Start("ping", "-c", "30", "-i", "0.02", "-W", "2", "-s", "4000", OurAddress.ToString());
            Assert.True(ping.WaitForExit(30_000), "ping did not finish within 30 s");
            string output = ping.StandardOutput.ReadToEnd();
            loop.Stop();
            TestContext.Current.TestOutputHelper?.WriteLine($"{output}\n{iface.Counters}\n{device.Counters}");
            Assert.False(loop.Failed, loop.Failure?.ToString());

            Assert.Contains(" 0% packet loss", output, StringComparison.Ordinal);
            Assert.Equal(30, iface.Counters.EchoRequestsAnswered);
            Assert.Equal(30, iface.Counters.DatagramsReassembled);
            Assert.Equal(90, iface.Counters.FragmentsSent); // 4008 bytes of ICMP in three fragments each way
        }
        finally
        {
            loop.Stop();
        }
    }
}
