namespace Wirestack.Iface;

/// <summary>
/// One backlogged UDP binding as an <see cref="EgressPolicy"/> sees it: a binding with datagrams waiting in its send
/// queue (<see cref="InterfaceOptions.UdpSendBufferLength"/>) for room in the device's transmit ring.
/// </summary>
/// <remarks>
/// The interface keeps these in an array it owns and lends them to the policy as a read-only span, in a stable order
/// (the bindings' slots), so a decision allocates nothing and index 0 names the same binding decision after decision
/// while it stays backlogged.
/// </remarks>
public struct EgressFlow
{
    /// <summary>The binding.</summary>
    public UdpHandle Handle { readonly get; internal set; }

    /// <summary>The binding's local port.</summary>
    public ushort LocalPort { readonly get; internal set; }

    /// <summary>Datagrams waiting in the binding's send queue (at least 1).</summary>
    public int QueuedDatagrams { readonly get; internal set; }

    /// <summary>Bytes the waiting datagrams take in the send queue, record headers included.</summary>
    public int QueuedBytes { readonly get; internal set; }

    /// <summary>The payload length of the datagram that goes next if this flow is picked.</summary>
    public int NextLength { readonly get; internal set; }

    /// <summary>
    /// The arrival order of the datagram that goes next, across every binding: a smaller number was handed to
    /// <see cref="Interface.TrySendUdp"/> earlier.
    /// </summary>
    public long NextSequence { readonly get; internal set; }

    /// <summary>The scheduling round in which this binding last sent a queued datagram; 0 when never.</summary>
    public long LastServedRound { readonly get; internal set; }

    /// <summary>
    /// Consecutive scheduling rounds in which this flow was backlogged and another was picked. At
    /// <see cref="InterfaceOptions.EgressMaxConsecutiveSkips"/> the interface picks it whatever the policy says.
    /// </summary>
    public int Skips { readonly get; internal set; }

    // The binding's slot, to find its queue without a lookup.
    internal int Slot;
}
