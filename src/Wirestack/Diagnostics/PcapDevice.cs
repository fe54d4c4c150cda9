using Wirestack.Nic;

namespace Wirestack.Diagnostics;

/// <summary>
/// A device that records every frame going through it, both ways, to a classic pcap file that
/// Wireshark and tcpdump open: received frames when <see cref="ObservingDevice.Receive"/> first lends them,
/// transmitted frames when <see cref="ObservingDevice.CommitTransmit(int)"/> commits them (read back from the inner
/// device's slot, so the stack still writes straight into device memory).
/// </summary>
/// <remarks>
/// Recording allocates nothing per frame: <see cref="PcapWriter"/> reuses one header buffer.
/// Writes go through the writer's stream, so give it a buffered one (<see cref="Create"/> does);
/// an I/O error while writing surfaces from the device call that recorded the frame. The file is
/// flushed when the device is disposed, or earlier with <see cref="FlushCapture"/>.
/// Timestamps are Unix-epoch nanoseconds: the clock's UTC time at creation plus the elapsed
/// time its timestamps measure, so a manual clock gives exact, repeatable times.
/// </remarks>
public sealed class PcapDevice : ObservingDevice
{
    private const long NanosecondsPerSecond = 1_000_000_000;

    private readonly PcapWriter _writer;
    private readonly bool _leaveWriterOpen;
    private readonly TimeProvider _time;
    private readonly long _originTimestamp;
    private readonly long _originNanoseconds;

    /// <summary>Records the frames of <paramref name="inner"/> through <paramref name="writer"/>.</summary>
    /// <param name="inner">The device to record.</param>
    /// <param name="writer">Where the records go; disposed with the device unless <see cref="PcapDeviceOptions.LeaveWriterOpen"/>.</param>
    /// <param name="options">What to record and the clock; defaults when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> or <paramref name="writer"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public PcapDevice(INetworkDevice inner, PcapWriter writer, PcapDeviceOptions? options = null)
        : this(inner, writer, options ?? new PcapDeviceOptions(), ownsWriter: false)
    {
    }

    private PcapDevice(INetworkDevice inner, PcapWriter writer, PcapDeviceOptions options, bool ownsWriter)
        : base(inner, options.Directions, options.LeaveInnerOpen)
    {
        ArgumentNullException.ThrowIfNull(writer);
        options.Validate();
        _writer = writer;
        _leaveWriterOpen = !ownsWriter && options.LeaveWriterOpen;
        _time = options.TimeProvider;
        // Read both clocks together: UTC gives the epoch, the timestamp counter the elapsed time.
        _originNanoseconds = (_time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * (NanosecondsPerSecond / TimeSpan.TicksPerSecond);
        _originTimestamp = _time.GetTimestamp();
    }

    /// <summary>Records the frames of <paramref name="inner"/> to a new pcap file at <paramref name="path"/>, which the device closes when disposed.</summary>
    /// <param name="inner">The device to record.</param>
    /// <param name="path">The file to create (or overwrite).</param>
    /// <param name="options">What to record and the clock; defaults when null. <see cref="PcapDeviceOptions.LeaveWriterOpen"/> does not apply.</param>
    /// <returns>The recording device.</returns>
    public static PcapDevice Create(INetworkDevice inner, string path, PcapDeviceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        options ??= new PcapDeviceOptions();
        options.Validate();
        var writer = PcapWriter.Create(path);
        try
        {
            return new PcapDevice(inner, writer, options, ownsWriter: true);
        }
        catch
        {
            writer.Dispose();
            throw;
        }
    }

    /// <summary>How many frames have been recorded.</summary>
    public long FramesRecorded => _writer.FramesWritten;

    /// <inheritdoc />
    protected override void Observe(ReadOnlySpan<byte> frame, FrameDirections direction) => _writer.WriteFrame(frame, NowNanoseconds());

    /// <summary>Flushes the pcap file, so a reader sees every frame recorded so far.</summary>
    public void FlushCapture() => _writer.Flush();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (_leaveWriterOpen) _writer.Flush();
            else _writer.Dispose();
        }
        base.Dispose(disposing);
    }

    private long NowNanoseconds()
    {
        long elapsed = _time.GetTimestamp() - _originTimestamp;
        long frequency = _time.TimestampFrequency;
        long seconds = Math.DivRem(elapsed, frequency, out long remainder);
        // The remainder times 10^9 can pass 2^63 for a fast counter, so that product is 128-bit.
        return _originNanoseconds + seconds * NanosecondsPerSecond + (long)((Int128)remainder * NanosecondsPerSecond / frequency);
    }
}
