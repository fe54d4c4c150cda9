using System.Buffers;

namespace Wirestack.Sockets;

/// <summary>
/// One of the two reusable segments a ring reader builds its <see cref="ReadOnlySequence{T}"/> from: the bytes up to
/// the end of the ring's buffer, and the bytes that wrapped to its start. Reset on every read instead of allocated.
/// </summary>
internal sealed class RingSequenceSegment : ReadOnlySequenceSegment<byte>
{
    /// <summary>Points the segment at <paramref name="memory"/>, <paramref name="runningIndex"/> bytes into the sequence.</summary>
    public void Set(ReadOnlyMemory<byte> memory, long runningIndex, RingSequenceSegment? next)
    {
        Memory = memory;
        RunningIndex = runningIndex;
        Next = next;
    }
}
