namespace Wirestack.Ip;

/// <summary>How a <see cref="RouteTable{TAddress}"/> is sized.</summary>
public sealed record RouteTableOptions
{
    /// <summary>The most routes the table holds, 1 to 1024. Default 64.</summary>
    /// <remarks>
    /// Lookup scans the routes in order, so it costs up to one prefix comparison per route: a few nanoseconds
    /// each, and cheaper than a trie's pointer chasing for the tens of routes a host has. Past about a thousand
    /// routes a trie would be the right structure, which is why the capacity stops there.
    /// </remarks>
    public int Capacity { get; init; } = 64;

    internal void Validate()
    {
        if (Capacity is < 1 or > 1024)
            throw new ArgumentOutOfRangeException(nameof(Capacity), Capacity, "RouteTableOptions.Capacity must be between 1 and 1024.");
    }
}
