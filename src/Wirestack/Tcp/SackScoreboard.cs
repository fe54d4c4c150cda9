using Wirestack.Wire;

namespace Wirestack.Tcp;

/// <summary>
/// The sender's SACK scoreboard of RFC 6675: which bytes above SND.UNA the peer reported holding, and from that
/// which are lost (IsLost), how many bytes are in the network (SetPipe) and what to send next in loss recovery
/// (NextSeg, rules 1 to 4). Holds a bounded number of ranges, preallocated; nothing allocates after construction.
/// </summary>
/// <remarks>
/// <para>
/// The ranges are kept merged and in sequence order. When a new block would need more ranges than the capacity,
/// the highest range is forgotten (if the new block is itself the highest, the new block is): its bytes count as
/// not SACKed again. That can cost a needless retransmission but never a stall, since forgotten bytes are treated
/// like data the receiver reneged on (RFC 2018 section 8); holes near SND.UNA, which recovery repairs first, keep
/// their information, and the receiver repeats its most recent blocks in later ACKs.
/// </para>
/// <para>
/// highRxt, as this type takes it, is one past the highest byte retransmitted in the current recovery (SND.UNA
/// when nothing was): RFC 6675's HighRxt + 1, in the style of SND.NXT.
/// </para>
/// </remarks>
public sealed class SackScoreboard
{
    /// <summary>DupThresh of RFC 6675 (and RFC 5681's three duplicate ACKs).</summary>
    public const int DupThresh = 3;

    private readonly TcpSackBlock[] _ranges;
    private int _count;
    private TcpSeqNumber _una;
    private int _sackedBytes;

    /// <summary>A scoreboard that keeps up to <paramref name="capacity"/> disjoint SACKed ranges.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 4 (one option's worth of blocks).</exception>
    public SackScoreboard(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, TcpSackBlocks.MaxCount, nameof(capacity));
        _ranges = new TcpSackBlock[capacity];
    }

    /// <summary>The most ranges kept.</summary>
    public int Capacity => _ranges.Length;

    /// <summary>The number of disjoint SACKed ranges held.</summary>
    public int Count => _count;

    /// <summary>The ranges, merged, in sequence order.</summary>
    public ReadOnlySpan<TcpSackBlock> Ranges => _ranges.AsSpan(0, _count);

    /// <summary>The bytes above the cumulative ACK the peer reported holding.</summary>
    public int SackedBytes => _sackedBytes;

    /// <summary>One past the highest SACKed byte; the cumulative ACK when nothing is SACKed.</summary>
    public TcpSeqNumber HighestSacked => _count == 0 ? _una : _ranges[_count - 1].Right;

    /// <summary>Forgets everything, for a new connection, after a retransmission timeout, or when the peer reneged.</summary>
    public void Reset(TcpSeqNumber sndUna)
    {
        _una = sndUna;
        _count = 0;
        _sackedBytes = 0;
    }

    /// <summary>
    /// Takes in an ACK: drops what the cumulative ACK covers and merges in its SACK blocks. Blocks at or below the
    /// cumulative ACK (D-SACK, RFC 2883), empty or inverted blocks and blocks reaching beyond
    /// <paramref name="sndNxt"/> (never sent, so bogus) are ignored.
    /// </summary>
    /// <param name="cumulativeAck">The ACK's acknowledgment number; an old one (below the last) moves nothing.</param>
    /// <param name="blocks">The ACK's SACK blocks, in any order.</param>
    /// <param name="sndNxt">SND.NXT: one past the highest byte sent.</param>
    public void Update(TcpSeqNumber cumulativeAck, ReadOnlySpan<TcpSackBlock> blocks, TcpSeqNumber sndNxt)
    {
        if (cumulativeAck > _una && cumulativeAck <= sndNxt) Advance(cumulativeAck);
        foreach (var block in blocks)
        {
            var left = block.Left - _una < 0 ? _una : block.Left;
            var right = block.Right;
            if (right <= _una || right > sndNxt || left >= right) continue;
            Insert(left, right);
        }
    }

    /// <summary>True when the byte at <paramref name="seq"/> is SACKed.</summary>
    public bool IsSacked(TcpSeqNumber seq)
    {
        for (int i = 0; i < _count; i++)
        {
            if (seq < _ranges[i].Left) return false;
            if (seq < _ranges[i].Right) return true;
        }
        return false;
    }

    /// <summary>The first byte at or after <paramref name="seq"/> that is not SACKed.</summary>
    public TcpSeqNumber SkipSacked(TcpSeqNumber seq)
    {
        for (int i = 0; i < _count; i++)
        {
            if (seq < _ranges[i].Left) break;
            if (seq < _ranges[i].Right) seq = _ranges[i].Right;
        }
        return seq;
    }

    /// <summary>The start of the first SACKed range above <paramref name="seq"/>, or <paramref name="limit"/> when none starts below it.</summary>
    public TcpSeqNumber NextSackedAbove(TcpSeqNumber seq, TcpSeqNumber limit)
    {
        for (int i = 0; i < _count; i++)
            if (_ranges[i].Left > seq) return TcpSeqNumber.Min(_ranges[i].Left, limit);
        return limit;
    }

    /// <summary>
    /// RFC 6675 IsLost: true when <see cref="DupThresh"/> or more discontiguous SACKed ranges lie above
    /// <paramref name="seq"/>, or more than (DupThresh − 1)·<paramref name="mss"/> SACKed bytes do.
    /// </summary>
    public bool IsLost(TcpSeqNumber seq, int mss)
    {
        int ranges = 0;
        long bytes = 0;
        for (int i = _count - 1; i >= 0; i--)
        {
            var r = _ranges[i];
            if (r.Right - seq <= 1) break; // nothing above seq from here down
            if (r.Left > seq)
            {
                ranges++;
                bytes += r.Right - r.Left;
            }
            else
            {
                bytes += r.Right - (seq + 1);
            }
        }
        return ranges >= DupThresh || bytes > (long)(DupThresh - 1) * mss;
    }

    /// <summary>
    /// RFC 6675 SetPipe: the bytes estimated in the network, counting each byte in [sndUna, sndNxt) that is not
    /// SACKed once if it is not lost and once more if it was retransmitted (below <paramref name="highRxt"/>).
    /// </summary>
    public int Pipe(TcpSeqNumber sndUna, TcpSeqNumber sndNxt, TcpSeqNumber highRxt, int mss)
    {
        var lostBelow = LostBoundary(sndUna, mss);
        long pipe = 0;
        var holeStart = sndUna;
        for (int i = 0; i <= _count; i++)
        {
            var holeEnd = i < _count ? TcpSeqNumber.Min(_ranges[i].Left, sndNxt) : sndNxt;
            if (holeEnd > holeStart)
            {
                pipe += Overlap(holeStart, holeEnd, lostBelow, sndNxt);   // (a) not lost: still in flight
                pipe += Overlap(holeStart, holeEnd, sndUna, highRxt);     // (b) retransmitted: that copy is in flight
            }
            if (i < _count) holeStart = TcpSeqNumber.Max(holeStart, _ranges[i].Right);
            if (holeStart >= sndNxt) break;
        }
        return (int)Math.Min(pipe, int.MaxValue);
    }

    /// <summary>
    /// RFC 6675 NextSeg for a sender without new data to send: rule 1 (the first lost, unSACKed byte at or above
    /// <paramref name="highRxt"/>), else rule 3 (the first unSACKed byte at or above it below the highest SACKed
    /// byte). A segment runs at most <paramref name="mss"/> bytes and never into SACKed data.
    /// </summary>
    /// <returns>False when there is nothing to retransmit.</returns>
    public bool TryNextSegment(TcpSeqNumber sndUna, TcpSeqNumber sndNxt, TcpSeqNumber highRxt, int mss, out TcpSeqNumber start, out int length) =>
        TryNextSegment(sndUna, sndNxt, highRxt, mss, canSendNewData: false, out start, out length);

    /// <summary>
    /// RFC 6675 NextSeg: rule 1 (retransmit the first lost, unSACKed byte at or above <paramref name="highRxt"/>);
    /// else, when <paramref name="canSendNewData"/> (there is unsent data and the peer's window allows it), rule 2:
    /// new data, returned as <paramref name="start"/> = <paramref name="sndNxt"/> and up to <paramref name="mss"/>
    /// bytes; else rule 3 (retransmit the first unSACKed byte at or above <paramref name="highRxt"/> below the
    /// highest SACKed byte, lost or not). A retransmission runs at most <paramref name="mss"/> bytes and never into SACKed data.
    /// </summary>
    /// <returns>False when there is nothing to send.</returns>
    public bool TryNextSegment(TcpSeqNumber sndUna, TcpSeqNumber sndNxt, TcpSeqNumber highRxt, int mss, bool canSendNewData, out TcpSeqNumber start, out int length)
    {
        var from = TcpSeqNumber.Max(sndUna, highRxt);
        var high = TcpSeqNumber.Min(HighestSacked, sndNxt);
        // The first unSACKed byte at or after `from`, and where its hole ends.
        var candidate = from;
        var holeEnd = high;
        for (int i = 0; i < _count; i++)
        {
            var r = _ranges[i];
            if (r.Right <= candidate) continue;
            if (r.Left <= candidate)
            {
                candidate = r.Right;
                continue;
            }
            holeEnd = r.Left;
            break;
        }
        bool exists = candidate < high;
        if (exists && candidate < LostBoundary(sndUna, mss))
        {
            start = candidate;
            length = Math.Min(mss, holeEnd - candidate);
            return true;
        }
        if (canSendNewData)
        {
            start = sndNxt;
            length = mss;
            return true;
        }
        if (exists)
        {
            start = candidate;
            length = Math.Min(mss, holeEnd - candidate);
            return true;
        }
        start = default;
        length = 0;
        return false;
    }

    /// <summary>
    /// RFC 6675 NextSeg rule 4, the rescue retransmission: once per recovery, when rules 1 to 3 found nothing and the
    /// cumulative ACK has passed <paramref name="rescueRxt"/>, resend up to <paramref name="mss"/> bytes ending at the
    /// highest unSACKed byte, so a lost tail does not wait for the retransmission timer. HighRxt is not moved.
    /// </summary>
    /// <param name="sndUna">SND.UNA.</param>
    /// <param name="sndNxt">SND.NXT.</param>
    /// <param name="mss">The sender's MSS.</param>
    /// <param name="rescueRxt">RescueRxt, one past its byte like highRxt: set it to the end of the first retransmission on
    /// entering recovery (RFC 6675 section 5, step 4.3); a rescue sets it to <paramref name="recoveryPoint"/>.</param>
    /// <param name="recoveryPoint">SND.NXT when recovery began.</param>
    /// <param name="start">The first byte to resend.</param>
    /// <param name="length">How many bytes to resend.</param>
    /// <returns>False when no rescue is due.</returns>
    public bool TryRescueSegment(TcpSeqNumber sndUna, TcpSeqNumber sndNxt, int mss, ref TcpSeqNumber rescueRxt, TcpSeqNumber recoveryPoint, out TcpSeqNumber start, out int length)
    {
        start = default;
        length = 0;
        if (sndUna <= rescueRxt || sndNxt <= sndUna) return false;
        // The last hole: above the highest range if it stops short of SND.NXT, else below it.
        var holeEnd = sndNxt;
        var holeStart = sndUna;
        for (int i = _count - 1; i >= 0; i--)
        {
            var r = _ranges[i];
            if (r.Left >= holeEnd) continue;
            if (r.Right < holeEnd)
            {
                holeStart = TcpSeqNumber.Max(r.Right, sndUna);
                break;
            }
            holeEnd = r.Left;
        }
        if (holeEnd <= holeStart) return false; // everything outstanding is SACKed
        start = TcpSeqNumber.Max(holeStart, holeEnd - mss);
        length = holeEnd - start;
        rescueRxt = recoveryPoint;
        return true;
    }

    /// <summary>Every unSACKed byte below the returned number is lost by <see cref="IsLost"/>, every one at or above it is not.</summary>
    private TcpSeqNumber LostBoundary(TcpSeqNumber sndUna, int mss)
    {
        var boundary = sndUna;
        // DupThresh ranges above: anything below the DupThresh-th highest range's left edge.
        if (_count >= DupThresh) boundary = TcpSeqNumber.Max(boundary, _ranges[_count - DupThresh].Left);
        // More than (DupThresh − 1)·SMSS bytes above: s is lost when the SACKed bytes in [s + 1, ∞) reach need.
        long need = (long)(DupThresh - 1) * mss + 1;
        long accumulated = 0;
        for (int i = _count - 1; i >= 0; i--)
        {
            var r = _ranges[i];
            long size = r.Right - r.Left;
            if (accumulated + size >= need)
            {
                boundary = TcpSeqNumber.Max(boundary, r.Right - (int)(need - accumulated));
                break;
            }
            accumulated += size;
        }
        return boundary;
    }

    // The bytes of [a, b) that also lie in [lo, hi).
    private static long Overlap(TcpSeqNumber a, TcpSeqNumber b, TcpSeqNumber lo, TcpSeqNumber hi)
    {
        var start = TcpSeqNumber.Max(a, lo);
        var end = TcpSeqNumber.Min(b, hi);
        return end > start ? end - start : 0;
    }

    private void Advance(TcpSeqNumber cumulativeAck)
    {
        _una = cumulativeAck;
        int drop = 0;
        while (drop < _count && _ranges[drop].Right <= cumulativeAck)
        {
            _sackedBytes -= _ranges[drop].Right - _ranges[drop].Left;
            drop++;
        }
        if (drop > 0)
        {
            _ranges.AsSpan(drop, _count - drop).CopyTo(_ranges);
            _count -= drop;
        }
        if (_count > 0 && _ranges[0].Left < cumulativeAck)
        {
            _sackedBytes -= cumulativeAck - _ranges[0].Left;
            _ranges[0] = _ranges[0] with { Left = cumulativeAck };
        }
    }

    private void Insert(TcpSeqNumber left, TcpSeqNumber right)
    {
        // New information mostly arrives at the top, so search from there. i: the first range that touches or
        // follows [left, right); j: the last range that touches or precedes it.
        int i = _count;
        while (i > 0 && _ranges[i - 1].Right >= left) i--;
        if (i < _count && _ranges[i].Left <= left && _ranges[i].Right >= right) return; // nothing new (a repeat)
        int j = i;
        while (j < _count && _ranges[j].Left <= right) j++;
        j--;
        if (j < i)
        {
            if (_count == _ranges.Length)
            {
                if (i == _count) return; // full, and the new block would be the highest: forget it
                _count--;                // full: forget the highest range to make room
                _sackedBytes -= _ranges[_count].Right - _ranges[_count].Left;
            }
            _ranges.AsSpan(i, _count - i).CopyTo(_ranges.AsSpan(i + 1));
            _ranges[i] = new TcpSackBlock(left, right);
            _count++;
            _sackedBytes += right - left;
        }
        else
        {
            var merged = new TcpSackBlock(TcpSeqNumber.Min(left, _ranges[i].Left), TcpSeqNumber.Max(right, _ranges[j].Right));
            for (int k = i; k <= j; k++) _sackedBytes -= _ranges[k].Right - _ranges[k].Left;
            _sackedBytes += merged.Right - merged.Left;
            _ranges[i] = merged;
            int removed = j - i;
            if (removed > 0)
            {
                _ranges.AsSpan(j + 1, _count - j - 1).CopyTo(_ranges.AsSpan(i + 1));
                _count -= removed;
            }
        }
    }
}
