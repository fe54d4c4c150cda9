namespace Wirestack.Tcp;

/// <summary>A TCP listener on an <see cref="Iface.Interface"/>, generation-checked like <see cref="TcpHandle"/>.</summary>
public readonly record struct TcpListenerHandle
{
    internal TcpListenerHandle(int index, int generation)
    {
        Index = index;
        Generation = generation;
    }

    internal int Index { get; }

    internal int Generation { get; }

    /// <summary>False for <c>default</c>; a closed handle stays true here but is refused by the interface.</summary>
    public bool IsAssigned => Generation != 0;
}
