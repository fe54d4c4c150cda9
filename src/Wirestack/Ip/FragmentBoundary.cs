namespace Wirestack.Ip;

/// <summary>One fragment a <see cref="Fragmenter"/> cuts: which bytes of the fragmentable part it carries.</summary>
/// <param name="Offset">Where its data starts in the fragmentable part, in bytes (a multiple of 8): the fragment offset field.</param>
/// <param name="Length">How many bytes it carries (a multiple of 8 unless it is the last).</param>
/// <param name="MoreFragments">The more-fragments flag: false for the last fragment only.</param>
public readonly record struct FragmentBoundary(int Offset, int Length, bool MoreFragments);
