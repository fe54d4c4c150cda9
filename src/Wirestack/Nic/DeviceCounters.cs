namespace Wirestack.Nic;

/// <summary>
/// Counters a device keeps. The device's own thread writes them; any thread may read them (64-bit
/// reads are atomic on the platforms Wirestack runs on, and a reader only needs a recent value).
/// </summary>
public sealed class DeviceCounters
{
    internal long ReceivedFramesField;
    internal long ReceivedBytesField;
    internal long TransmittedFramesField;
    internal long TransmittedBytesField;
    internal long ReceiveDroppedField;
    internal long TransmitDroppedField;
    internal long ReceiveErrorsField;
    internal long TransmitErrorsField;

    /// <summary>Frames lent to the stack.</summary>
    public long ReceivedFrames => Volatile.Read(ref ReceivedFramesField);

    /// <summary>Bytes of the frames lent to the stack.</summary>
    public long ReceivedBytes => Volatile.Read(ref ReceivedBytesField);

    /// <summary>Frames published to the other side.</summary>
    public long TransmittedFrames => Volatile.Read(ref TransmittedFramesField);

    /// <summary>Bytes of the frames published to the other side.</summary>
    public long TransmittedBytes => Volatile.Read(ref TransmittedBytesField);

    /// <summary>Frames that arrived but found no free receive slot, or were longer than a slot.</summary>
    public long ReceiveDropped => Volatile.Read(ref ReceiveDroppedField);

    /// <summary>Committed frames the device could not send (the kernel refused them, or the peer was gone).</summary>
    public long TransmitDropped => Volatile.Read(ref TransmitDroppedField);

    /// <summary>Receive system calls that failed with something other than "nothing to read".</summary>
    public long ReceiveErrors => Volatile.Read(ref ReceiveErrorsField);

    /// <summary>Transmit system calls that failed.</summary>
    public long TransmitErrors => Volatile.Read(ref TransmitErrorsField);

    /// <inheritdoc />
    public override string ToString() =>
        $"rx {ReceivedFrames} frames {ReceivedBytes} B (dropped {ReceiveDropped}, errors {ReceiveErrors}); tx {TransmittedFrames} frames {TransmittedBytes} B (dropped {TransmitDropped}, errors {TransmitErrors})";
}
