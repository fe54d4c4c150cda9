using System.Diagnostics.CodeAnalysis;

namespace Wirestack.Ip;

/// <summary>
/// Names a reassembled datagram lent by a <see cref="FragmentReassembler"/> until <see cref="FragmentReassembler.Release"/>.
/// A handle goes stale when its datagram is released: using it again is detected, never a read of someone else's data.
/// </summary>
public readonly struct ReassemblyHandle : IEquatable<ReassemblyHandle>
{
    internal ReassemblyHandle(int slot, int generation)
    {
        Slot = slot;
        Generation = generation;
    }

    internal int Slot { get; }

    internal int Generation { get; }

    /// <inheritdoc />
    public bool Equals(ReassemblyHandle other) => Slot == other.Slot && Generation == other.Generation;

    /// <inheritdoc />
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is ReassemblyHandle other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Slot, Generation);

    /// <summary>Compares two handles.</summary>
    public static bool operator ==(ReassemblyHandle left, ReassemblyHandle right) => left.Equals(right);

    /// <summary>Compares two handles.</summary>
    public static bool operator !=(ReassemblyHandle left, ReassemblyHandle right) => !left.Equals(right);
}
