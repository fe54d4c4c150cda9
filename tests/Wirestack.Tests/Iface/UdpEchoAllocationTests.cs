using Wirestack.Iface;
using Wirestack.Nic;
using Wirestack.Testing;
using static Wirestack.Tests.Iface.InterfaceTestBed;

namespace Wirestack.Tests.Iface;

/// <summary>
/// Two interfaces over the pipe device echo UDP datagrams through their poll loops: once warm, the whole path (send,
/// send queue, scheduler, transmit, receive dispatch, binding ring, receive) allocates nothing per packet.
/// </summary>
public class UdpEchoAllocationTests
{
    private const ushort ClientPort = 5000;
    private const ushort EchoPort = 7;

    private sealed class EchoPair
    {
        private readonly Interface _client;
        private readonly Interface _server;
        private readonly UdpHandle _clientHandle;
        private readonly UdpHandle _serverHandle;
        private readonly byte[] _payload;
        private readonly byte[] _buffer = new byte[2048];
        private readonly int _burst;

        public EchoPair(int ringSize, int burst, int payloadLength)
        {
            var (first, second) = PipeDevice.CreatePair(new PipeDeviceOptions { RingSize = ringSize, ReceiveBatchSize = ringSize });
            _client = new Interface(first, OptionsFor(MacA, AddressA));
            _server = new Interface(second, OptionsFor(MacB, AddressB));
            Assert.True(_client.TryBindUdp(ClientPort, out _clientHandle));
            Assert.True(_server.TryBindUdp(EchoPort, out _serverHandle));
            _payload = new byte[payloadLength];
            new Random(1).NextBytes(_payload);
            _burst = burst;
            // Resolve both ways first: datagrams waiting for ARP are not the path under test.
            Exchange(1);
            Echoed = 0;
        }

        public Interface Client => _client;

        public Interface Server => _server;

        public long Echoed { get; private set; }

        // One burst: the client sends `burst` datagrams (those past the ring's room wait in its send queue), and
        // both sides poll until every echo is back.
        public void Burst() => Exchange(_burst);

        private void Exchange(int count)
        {
            for (int i = 0; i < count; i++)
                if (!_client.TrySendUdp(_clientHandle, AddressB, EchoPort, _payload, T0)) throw new InvalidOperationException("send refused");
            int back = 0;
            for (int round = 0; round < 1000 && back < count; round++)
            {
                _server.Poll(T0);
                while (_server.TryReceiveUdp(_serverHandle, _buffer, out int length, out var source, out ushort port))
                    if (!_server.TrySendUdp(_serverHandle, source, port, _buffer.AsSpan(0, length), T0)) throw new InvalidOperationException("echo refused");
                _client.Poll(T0);
                while (_client.TryReceiveUdp(_clientHandle, _buffer, out _, out _, out _)) back++;
            }
            if (back != count) throw new InvalidOperationException($"{back} of {count} echoes came back");
            Echoed += back;
        }
    }

    [Theory]
    [InlineData(64, 16, 64)] // the ring has room for every datagram: the direct path
    [InlineData(8, 16, 64)] // half of each burst waits in the send queues on both sides
    [InlineData(8, 16, 1024)]
    public void EchoingOneHundredThousandDatagramsAllocatesNothingPerPacket(int ringSize, int burst, int payloadLength)
    {
        var pair = new EchoPair(ringSize, burst, payloadLength);
        const int Datagrams = 100_000;
        long bytes = AllocationMeter.Measure(pair.Burst, warmup: 200, iterations: Datagrams / burst, windows: 3);
        Assert.True(bytes == 0, $"{bytes} bytes allocated over {Datagrams} echoed datagrams ({(double)bytes / Datagrams:F2} per packet)");
        Assert.Equal(0, pair.Client.Counters.TotalDropped);
        Assert.Equal(0, pair.Server.Counters.TotalDropped);
        if (ringSize < burst)
        {
            Assert.True(pair.Client.Counters.UdpDatagramsQueued >= (long)Datagrams / burst * (burst - ringSize), $"client queued only {pair.Client.Counters.UdpDatagramsQueued}");
            Assert.True(pair.Server.Counters.UdpDatagramsQueued > 0);
        }
        else
        {
            Assert.Equal(0, pair.Client.Counters.UdpDatagramsQueued);
        }
    }
}
