using Wirestack.Wire;

namespace Wirestack.Link;

/// <summary>The answer of <see cref="NeighborCache{TAddress}.Lookup"/>: a decision and, when found, the link-layer address.</summary>
public readonly struct NeighborLookup
{
    internal NeighborLookup(NeighborLookupResult result, MacAddress mac)
    {
        Result = result;
        Mac = mac;
    }

    /// <summary>What to do with the packet.</summary>
    public NeighborLookupResult Result { get; }

    /// <summary>The neighbour's link-layer address when <see cref="Result"/> is <see cref="NeighborLookupResult.Found"/>; otherwise zero.</summary>
    public MacAddress Mac { get; }

    /// <summary>True when the link-layer address is known.</summary>
    public bool IsFound => Result == NeighborLookupResult.Found;

    /// <inheritdoc />
    public override string ToString() => IsFound ? $"Found {Mac}" : Result.ToString();
}
