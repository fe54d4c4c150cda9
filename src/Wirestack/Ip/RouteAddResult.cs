namespace Wirestack.Ip;

/// <summary>What <see cref="RouteTable{TAddress}.Add"/> did.</summary>
public enum RouteAddResult
{
    /// <summary>The route is new and was added.</summary>
    Added,

    /// <summary>A route with the same prefix, length and next hop was there; its metric and expiry were replaced.</summary>
    Replaced,

    /// <summary>The table was full (even after dropping expired routes); nothing changed.</summary>
    TableFull,
}
