using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Wirestack.Wire;

/// <summary>
/// Up to four SACK blocks, held inline so that a <see cref="TcpRepr"/> stays a plain struct.
/// The value is immutable (a mutable one read through the repr's property would be changed as a
/// copy and the change lost): build a new one to change the blocks.
/// </summary>
public readonly struct TcpSackBlocks
{
    /// <summary>The most blocks one SACK option carries (RFC 2018: 40 option bytes hold 4).</summary>
    public const int MaxCount = 4;

    private readonly Blocks _blocks;
    private readonly byte _count;

    /// <summary>Keeps a copy of <paramref name="blocks"/>, at most <see cref="MaxCount"/> of them.</summary>
    /// <exception cref="ArgumentException">There are more than four blocks.</exception>
    public TcpSackBlocks(params ReadOnlySpan<TcpSackBlock> blocks)
    {
        if (blocks.Length > MaxCount)
            throw new ArgumentException($"A SACK option holds at most {MaxCount} blocks; {blocks.Length} were given (send the most recent ones first, RFC 2018 section 4).", nameof(blocks));
        blocks.CopyTo(_blocks);
        _count = (byte)blocks.Length;
    }

    /// <summary>The number of blocks.</summary>
    public int Count => _count;

    /// <summary>The block at <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not below <see cref="Count"/>.</exception>
    public TcpSackBlock this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_count, nameof(index));
            return _blocks[index];
        }
    }

    /// <summary>The blocks, in the order they are sent.</summary>
    [UnscopedRef]
    public ReadOnlySpan<TcpSackBlock> AsSpan() => ((ReadOnlySpan<TcpSackBlock>)_blocks)[.._count];

    [InlineArray(MaxCount)]
    private struct Blocks
    {
        private TcpSackBlock _element;
    }
}
