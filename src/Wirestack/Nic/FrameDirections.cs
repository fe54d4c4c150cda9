namespace Wirestack.Nic;

/// <summary>Which way frames go through a device wrapper: what it records, traces or faults.</summary>
[Flags]
public enum FrameDirections
{
    /// <summary>Neither direction: the wrapper lets every frame through untouched.</summary>
    None = 0,

    /// <summary>Frames the inner device receives, on their way up to the stack.</summary>
    Receive = 1,

    /// <summary>Frames the stack transmits, on their way down to the inner device.</summary>
    Transmit = 2,

    /// <summary>Both directions.</summary>
    Both = Receive | Transmit,
}
