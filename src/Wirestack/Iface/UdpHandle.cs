namespace Wirestack.Iface;

/// <summary>
/// A UDP binding on an <see cref="Interface"/>, from <see cref="Interface.TryBindUdp(ushort, out UdpHandle)"/>. It names a slot and the
/// generation of that slot, so a handle kept after <see cref="Interface.CloseUdp"/> never reaches a later binding
/// that reuses the slot.
/// </summary>
public readonly record struct UdpHandle
{
    internal UdpHandle(int index, int generation)
    {
        Index = index;
        Generation = generation;
    }

    internal int Index { get; }

    // Generations start at 1, so default(UdpHandle) is never valid.
    internal int Generation { get; }

    /// <summary>False for <c>default</c>; a closed handle stays true here but is refused by the interface.</summary>
    public bool IsAssigned => Generation != 0;
}
