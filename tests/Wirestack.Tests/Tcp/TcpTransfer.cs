using System.Security.Cryptography;
using Wirestack.Iface;
using Wirestack.Tcp;

namespace Wirestack.Tests.Tcp;

/// <summary>
/// Moves a seeded stream of bytes from one end of a simulated connection to the other, hashing what was written
/// and what was read; both ends run at once for a transfer each way.
/// </summary>
internal sealed class TcpTransfer
{
    private readonly Interface _sender;
    private readonly TcpHandle _from;
    private readonly Interface _receiver;
    private readonly TcpHandle _to;
    private readonly byte[] _data;
    private readonly IncrementalHash _sentHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash _receivedHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _written;
    private bool _shut;

    public TcpTransfer(Interface sender, TcpHandle from, Interface receiver, TcpHandle to, int length, int seed)
    {
        _sender = sender;
        _from = from;
        _receiver = receiver;
        _to = to;
        _data = new byte[length];
        new Random(seed).NextBytes(_data);
    }

    public long Received { get; private set; }

    /// <summary>When set, the receiver reads nothing (to drive the sender into a zero window).</summary>
    public bool Stalled { get; set; }

    public bool Done { get; private set; }

    /// <summary>Writes what fits, reads what arrived; true once every byte arrived and the stream ended.</summary>
    public bool Pump(Instant now)
    {
        var info = _sender.GetTcpInfo(_from);
        if (info.State == TcpState.Closed) throw new InvalidOperationException($"The sender closed with {info.Error} after {_written} bytes written, {Received} received.");
        if (_written < _data.Length)
        {
            int n = _sender.WriteTcp(_from, _data.AsSpan(_written, Math.Min(_data.Length - _written, 16 * 1024)), now);
            if (n > 0)
            {
                _sentHash.AppendData(_data, _written, n);
                _written += n;
            }
        }
        else if (!_shut)
        {
            _sender.ShutdownTcpWrite(_from, now);
            _shut = true;
        }
        if (!Stalled)
        {
            int read;
            while ((read = _receiver.ReadTcp(_to, _buffer, now)) > 0)
            {
                _receivedHash.AppendData(_buffer, 0, read);
                Received += read;
            }
        }
        Done = _shut && _receiver.GetTcpInfo(_to).ReadCompleted;
        return Done;
    }

    public (string Sent, string Received) Hashes() =>
        (Convert.ToHexString(_sentHash.GetHashAndReset()), Convert.ToHexString(_receivedHash.GetHashAndReset()));
}
