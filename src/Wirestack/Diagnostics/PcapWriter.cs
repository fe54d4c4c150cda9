using System.Buffers.Binary;

namespace Wirestack.Diagnostics;

/// <summary>
/// Writes frames to a <see cref="Stream"/> as a classic pcap file (not pcapng) with nanosecond timestamps, readable by
/// tcpdump, Wireshark and <see cref="PcapReader"/>. The header fields are written little-endian regardless of the host,
/// so a capture's bytes do not depend on the machine that made it.
/// </summary>
/// <remarks>
/// <see cref="WriteFrame(ReadOnlySpan{byte}, long)"/> allocates nothing: the record header goes through one buffer made
/// at construction. Each frame costs two <see cref="Stream.Write(ReadOnlySpan{byte})"/> calls, so give the writer a
/// buffered stream (a <see cref="FileStream"/> with a buffer, as <see cref="Create"/> opens, or a
/// <see cref="BufferedStream"/>) when the underlying stream would make a system call per write.
/// The writer is not thread-safe: one thread (the poll loop that owns the device) writes to it at a time.
/// </remarks>
public sealed class PcapWriter : IDisposable, IAsyncDisposable
{
    /// <summary>
    /// The snapshot length used when none is given: 256 KiB, tcpdump's default. 65535 would cut the largest frames a
    /// segmenting device carries (a 64 KiB IP packet plus its Ethernet header) by a few bytes.
    /// </summary>
    public const int DefaultSnapLength = PcapFormat.MaxSnapLength;

    /// <summary>The largest snapshot length accepted (256 KiB, libpcap's own ceiling).</summary>
    public const int MaxSnapLength = PcapFormat.MaxSnapLength;

    // The latest timestamp a 32-bit seconds field can hold (early 2106).
    private const long MaxTimestampNanoseconds = ((long)uint.MaxValue + 1) * PcapFormat.NanosecondsPerSecond - 1;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly byte[] _recordHeader = new byte[PcapFormat.RecordHeaderLength];
    private long _framesWritten;
    private bool _disposed;

    /// <summary>Starts a pcap file on <paramref name="stream"/> by writing its 24-byte global header at once.</summary>
    /// <param name="stream">A writable stream positioned where the file should begin.</param>
    /// <param name="linkType">The link-layer type of every frame that will be written; Ethernet unless the device says otherwise.</param>
    /// <param name="snapLength">Frames longer than this are cut to this many bytes (their original length is still recorded). 1 to <see cref="MaxSnapLength"/>.</param>
    /// <param name="leaveOpen">True to leave <paramref name="stream"/> open when the writer is disposed.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> cannot be written.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="snapLength"/> is outside 1 to <see cref="MaxSnapLength"/>.</exception>
    public PcapWriter(Stream stream, PcapLinkType linkType = PcapLinkType.Ethernet, int snapLength = DefaultSnapLength, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
            throw new ArgumentException("The stream cannot be written; open it for writing before handing it to PcapWriter.", nameof(stream));
        if (snapLength < 1 || snapLength > MaxSnapLength)
            throw new ArgumentOutOfRangeException(nameof(snapLength), snapLength, $"The snapshot length must be between 1 and {MaxSnapLength} bytes; use {DefaultSnapLength} to keep whole frames, even segmentation offload ones.");

        _stream = stream;
        _leaveOpen = leaveOpen;
        LinkType = linkType;
        SnapLength = snapLength;

        Span<byte> header = stackalloc byte[PcapFormat.GlobalHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, PcapFormat.NanosecondMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], PcapFormat.VersionMajor);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], PcapFormat.VersionMinor);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], 0); // thiszone: timestamps are UTC
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0); // sigfigs: always 0 in practice
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)linkType);
        _stream.Write(header);
    }

    /// <summary>The link-layer type written in the global header.</summary>
    public PcapLinkType LinkType { get; }

    /// <summary>The snapshot length written in the global header; longer frames are truncated to it.</summary>
    public int SnapLength { get; }

    /// <summary>How many records have been written.</summary>
    public long FramesWritten => _framesWritten;

    /// <summary>Creates (or overwrites) a pcap file at <paramref name="path"/> with a buffered <see cref="FileStream"/> that the writer owns.</summary>
    /// <param name="path">Where to write the file.</param>
    /// <param name="linkType">The link-layer type of every frame that will be written.</param>
    /// <param name="snapLength">Frames longer than this are truncated to it.</param>
    /// <returns>A writer that closes the file when disposed.</returns>
    public static PcapWriter Create(string path, PcapLinkType linkType = PcapLinkType.Ethernet, int snapLength = DefaultSnapLength)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 64 * 1024);
        try
        {
            return new PcapWriter(stream, linkType, snapLength);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Appends one frame, truncated to <see cref="SnapLength"/> if longer; its full length is recorded as the original length.</summary>
    /// <param name="frame">The whole frame as it was sent or received, starting at the link-layer header.</param>
    /// <param name="timestampNanoseconds">When the frame was seen, in nanoseconds since the Unix epoch (or since any origin a simulation chooses, as long as it is not negative).</param>
    /// <exception cref="ArgumentOutOfRangeException">The timestamp is negative or beyond what pcap's 32-bit seconds field holds (2106).</exception>
    /// <exception cref="ObjectDisposedException">The writer has been disposed.</exception>
    public void WriteFrame(ReadOnlySpan<byte> frame, long timestampNanoseconds) =>
        WriteFrame(frame, timestampNanoseconds, frame.Length);

    /// <summary>
    /// Appends one frame whose bytes may already be a truncated capture, recording <paramref name="originalLength"/> as its
    /// length on the wire; use it to copy records from a <see cref="PcapReader"/> without losing their original lengths.
    /// </summary>
    /// <param name="frame">The captured bytes; cut to <see cref="SnapLength"/> if longer.</param>
    /// <param name="timestampNanoseconds">When the frame was seen, in nanoseconds since the Unix epoch; not negative.</param>
    /// <param name="originalLength">The frame's length on the wire, at least <paramref name="frame"/>'s length.</param>
    /// <exception cref="ArgumentOutOfRangeException">The timestamp is out of pcap's range, or <paramref name="originalLength"/> is shorter than the frame.</exception>
    /// <exception cref="ObjectDisposedException">The writer has been disposed.</exception>
    public void WriteFrame(ReadOnlySpan<byte> frame, long timestampNanoseconds, int originalLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if ((ulong)timestampNanoseconds > MaxTimestampNanoseconds) ThrowTimestampOutOfRange(timestampNanoseconds);
        if (originalLength < frame.Length) ThrowOriginalLengthTooShort(originalLength, frame.Length);

        var captured = frame.Length <= SnapLength ? frame : frame[..SnapLength];
        var seconds = timestampNanoseconds / PcapFormat.NanosecondsPerSecond;
        var header = _recordHeader.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)seconds);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)(timestampNanoseconds - seconds * PcapFormat.NanosecondsPerSecond));
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], (uint)captured.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)originalLength);
        _stream.Write(header);
        _stream.Write(captured);
        _framesWritten++;
    }

    /// <summary>Flushes the underlying stream, so that a reader of the file sees every frame written so far.</summary>
    /// <exception cref="ObjectDisposedException">The writer has been disposed.</exception>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _stream.Flush();
    }

    /// <summary>Flushes the underlying stream asynchronously.</summary>
    /// <param name="cancellationToken">Cancels the flush.</param>
    /// <returns>A task that completes when the stream is flushed.</returns>
    /// <exception cref="ObjectDisposedException">The writer has been disposed.</exception>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _stream.FlushAsync(cancellationToken);
    }

    /// <summary>Flushes and, unless the writer was told to leave it open, closes the stream. Calling it again does nothing.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_leaveOpen) _stream.Flush();
        else _stream.Dispose(); // disposing a stream flushes it
    }

    /// <summary>Flushes and, unless the writer was told to leave it open, closes the stream, asynchronously.</summary>
    /// <returns>A task that completes when the stream is flushed and closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (_leaveOpen) await _stream.FlushAsync().ConfigureAwait(false);
        else await _stream.DisposeAsync().ConfigureAwait(false);
    }

    private static void ThrowTimestampOutOfRange(long timestampNanoseconds) =>
        throw new ArgumentOutOfRangeException(nameof(timestampNanoseconds), timestampNanoseconds,
            $"A pcap timestamp must be between 0 and {MaxTimestampNanoseconds} ns after the Unix epoch (pcap stores unsigned 32-bit seconds); pass nanoseconds since 1970 or since the simulation's start.");

    private static void ThrowOriginalLengthTooShort(int originalLength, int frameLength) =>
        throw new ArgumentOutOfRangeException(nameof(originalLength), originalLength,
            $"The original length ({originalLength}) is shorter than the {frameLength} captured bytes; pass the frame's length on the wire, which is at least the captured length.");
}
