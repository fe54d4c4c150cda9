namespace Wirestack.Tcp;

/// <summary>
/// A TCP connection on an <see cref="Iface.Interface"/>. It names a slot and the generation of that slot, so a handle
/// kept after <see cref="Iface.Interface.CloseTcp"/> never reaches a later connection that reuses the slot.
/// </summary>
public readonly record struct TcpHandle
{
    internal TcpHandle(int index, int generation)
    {
        Index = index;
        Generation = generation;
    }

    internal int Index { get; }

    // Generations start at 1, so default(TcpHandle) is never valid.
    internal int Generation { get; }

    /// <summary>False for <c>default</c>; a closed handle stays true here but is refused by the interface.</summary>
    public bool IsAssigned => Generation != 0;
}
