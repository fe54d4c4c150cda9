using System.Globalization;
using Wirestack.Nic;
using Wirestack.Wire;

namespace Wirestack.Diagnostics;

/// <summary>
/// A device that writes one line per frame going through it, both ways, decoded by the wire layer
/// (<see cref="FrameDissector"/>): the time in seconds since the tracer was created, RX or TX, the
/// length, then a tcpdump-like summary, for example
/// <c>0.001500 TX 42 B 02:00:00:00:00:0a &gt; ff:ff:ff:ff:ff:ff ARP who-has 10.0.0.2 tell 10.0.0.1</c>.
/// Received frames are traced when <see cref="ObservingDevice.Receive"/> first lends them, transmitted frames when
/// <see cref="ObservingDevice.CommitTransmit(int)"/> commits them.
/// </summary>
/// <remarks>
/// For debugging only: every line is a new string, so tracing allocates on every frame (the other
/// wrappers do not), and writing the line costs far more than moving the frame. The tracer
/// flushes its <see cref="TextWriter"/> when disposed but never closes it (it may be the console).
/// </remarks>
public sealed class FrameTracer : ObservingDevice
{
    private readonly TextWriter? _writer;
    private readonly Action<string>? _sink;
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly string _prefix;

    /// <summary>Traces the frames of <paramref name="inner"/> to <paramref name="output"/>, one line each.</summary>
    /// <param name="inner">The device to trace.</param>
    /// <param name="output">Where the lines go; flushed, not closed, when the tracer is disposed.</param>
    /// <param name="options">What to trace, a label and the clock; defaults when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> or <paramref name="output"/> is null.</exception>
    public FrameTracer(INetworkDevice inner, TextWriter output, FrameTracerOptions? options = null)
        : this(inner, options ?? new FrameTracerOptions())
    {
        ArgumentNullException.ThrowIfNull(output);
        _writer = output;
    }

    /// <summary>Traces the frames of <paramref name="inner"/> by handing each line to <paramref name="output"/> (a logger, a test's list).</summary>
    /// <param name="inner">The device to trace.</param>
    /// <param name="output">Called with every line, on the thread that drives the device.</param>
    /// <param name="options">What to trace, a label and the clock; defaults when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> or <paramref name="output"/> is null.</exception>
    public FrameTracer(INetworkDevice inner, Action<string> output, FrameTracerOptions? options = null)
        : this(inner, options ?? new FrameTracerOptions())
    {
        ArgumentNullException.ThrowIfNull(output);
        _sink = output;
    }

    private FrameTracer(INetworkDevice inner, FrameTracerOptions options)
        : base(inner, Validated(options).Directions, options.LeaveInnerOpen)
    {
        _time = options.TimeProvider;
        _origin = _time.GetTimestamp();
        _prefix = string.IsNullOrEmpty(options.Label) ? string.Empty : options.Label + " ";
    }

    /// <summary>
    /// The line the tracer writes for <paramref name="frame"/>: time, direction, length and the
    /// dissector's summary (with the first malformed layer in brackets).
    /// </summary>
    /// <param name="frame">The whole Ethernet frame.</param>
    /// <param name="direction"><see cref="FrameDirections.Receive"/> or <see cref="FrameDirections.Transmit"/>.</param>
    /// <param name="elapsed">Time since tracing began.</param>
    /// <returns>One line, without a line break.</returns>
    public static string Describe(ReadOnlySpan<byte> frame, FrameDirections direction, TimeSpan elapsed)
    {
        var error = FrameDissector.Dissect(frame, out var dissected);
        // Without an Ethernet header there are no addresses to show, only why.
        string summary = error != WireError.None && dissected.ErrorLayer == FrameLayer.Ethernet
            ? $"malformed Ethernet frame [{error}]"
            : dissected.Describe();
        string way = direction == FrameDirections.Transmit ? "TX" : "RX";
        return string.Create(CultureInfo.InvariantCulture, $"{elapsed.TotalSeconds:F6} {way} {frame.Length} B {summary}");
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) _writer?.Flush();
        base.Dispose(disposing);
    }

    private static FrameTracerOptions Validated(FrameTracerOptions options)
    {
        options.Validate();
        return options;
    }

    /// <inheritdoc />
    protected override void Observe(ReadOnlySpan<byte> frame, FrameDirections direction)
    {
        string line = _prefix + Describe(frame, direction, _time.GetElapsedTime(_origin));
        if (_writer is not null) _writer.WriteLine(line);
        else _sink!(line);
    }
}
