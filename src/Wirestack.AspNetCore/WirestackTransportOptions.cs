using Wirestack.Sockets;

namespace Wirestack.AspNetCore;

/// <summary>
/// How Kestrel runs on Wirestack. <see cref="WebHostBuilderWirestackExtensions.UseWirestack"/> binds the
/// <c>"Wirestack"</c> configuration section into <see cref="Netstack"/> (device, MAC, addresses, gateways, MTU: the keys
/// of <see cref="NetstackOptions"/>) and into this object (<c>Enabled</c>, <c>Backlog</c>, <c>NoDelay</c>).
/// </summary>
public sealed class WirestackTransportOptions
{
    /// <summary>The configuration section read by default.</summary>
    public const string SectionName = "Wirestack";

    /// <summary>Whether Kestrel listens on Wirestack; false leaves it on kernel sockets. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The stack to build when <see cref="Stack"/> is not given; the transport owns and disposes it.</summary>
    public NetstackOptions Netstack { get; set; } = new();

    /// <summary>
    /// A stack the application built and owns (for example over an in-process device); when set, <see cref="Netstack"/>
    /// is ignored and the transport does not dispose the stack.
    /// </summary>
    public Netstack? Stack { get; set; }

    /// <summary>How many connections may wait for Kestrel to accept them, per endpoint. Default 512.</summary>
    public int Backlog { get; set; } = 512;

    /// <summary>
    /// Whether each connection sends short writes at once (Nagle's rule off, <see cref="TcpConnection.NoDelay"/>),
    /// as Kestrel's socket transport does by default. Default true: with Nagle on, the short tail of a response waits
    /// for the ACK of the short segment before it, which a Linux client delays by up to 40 ms.
    /// </summary>
    public bool NoDelay { get; set; } = true;

    /// <summary>
    /// How long disposing a connection waits for the bytes Kestrel wrote to go into the stack before it resets the
    /// connection instead (a peer that stopped reading must not hold a connection for ever). Default 5 s.
    /// </summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Throws when a setting is wrong, naming it and saying what is allowed.</summary>
    /// <exception cref="WirestackException">With <see cref="WirestackErrorCode.InvalidArgument"/>.</exception>
    public void Validate()
    {
        if (Backlog < 1)
            throw new WirestackException(WirestackErrorCode.InvalidArgument, $"WirestackTransportOptions.Backlog is {Backlog}; it must be at least 1.");
        if (CloseTimeout <= TimeSpan.Zero && CloseTimeout != Timeout.InfiniteTimeSpan)
            throw new WirestackException(WirestackErrorCode.InvalidArgument, $"WirestackTransportOptions.CloseTimeout is {CloseTimeout}; it must be positive (or infinite).");
        if (Stack is null)
        {
            if (Netstack is null)
                throw new WirestackException(WirestackErrorCode.InvalidArgument, "WirestackTransportOptions.Netstack is null: give the stack's settings (the \"Wirestack\" section) or a built Stack.");
            if (Netstack.Device == NetstackDeviceKind.None)
                throw new WirestackException(WirestackErrorCode.InvalidArgument,
                    "WirestackTransportOptions: no device. Set Wirestack:Device (Tap or PacketRing) and Wirestack:DeviceName in configuration, or give a built Stack.");
            Netstack.Validate();
        }
    }
}
