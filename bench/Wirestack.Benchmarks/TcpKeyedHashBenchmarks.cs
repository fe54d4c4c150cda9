using BenchmarkDotNet.Attributes;
using Wirestack.Tcp;
using Wirestack.Wire;

namespace Wirestack.Benchmarks;

/// <summary>
/// The keyed hashes TCP pays per connection attempt (an ISN per SYN sent, a cookie per SYN answered under a
/// flood) against <see cref="HashCode.Combine{T1, T2}"/> of the same tuple in the same run: the framework's
/// randomized, non-cryptographic hash is the floor (target: an ISN or a cookie within 8x of it).
/// </summary>
[MemoryDiagnoser]
public class TcpKeyedHashBenchmarks
{
    private static readonly byte[] Key = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
    private readonly InitialSequenceNumbers _isn = new(Key);
    private readonly IpEndpoint _local = new(IpAddress.Parse("192.0.2.1"), 80);
    private readonly IpEndpoint _remote = new(IpAddress.Parse("198.51.100.7"), 40000);
    private readonly byte[] _tuple = new byte[36];
    private readonly Instant _now = Instant.FromMilliseconds(123_456);
    private TcpSeqNumber _cookie;

    [GlobalSetup]
    public void Setup() => _cookie = new TcpSeqNumber(SynCookies.Encode(Key, _local, _remote, new TcpSeqNumber(42), 1460, _now));

    [Benchmark(Baseline = true)]
    public int HashCodeOfTuple() => HashCode.Combine(_local, _remote);

    [Benchmark]
    public ulong SipHash36Bytes() => SipHash.Hash(Key, _tuple);

    [Benchmark]
    public TcpSeqNumber IsnNext() => _isn.Next(_local, _remote, _now);

    [Benchmark]
    public uint SynCookieEncode() => SynCookies.Encode(Key, _local, _remote, new TcpSeqNumber(42), 1460, _now);

    [Benchmark]
    public bool SynCookieDecode() => SynCookies.TryDecode(Key, _local, _remote, new TcpSeqNumber(42), _cookie, _now, out _);
}
