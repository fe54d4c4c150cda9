using System.Buffers.Binary;

namespace Wirestack.Diagnostics;

/// <summary>
/// Reads a classic pcap file (not pcapng) from a <see cref="Stream"/>: microsecond and nanosecond timestamps, written
/// in either byte order. Records come out one at a time through <see cref="TryReadFrame(out PcapRecord)"/>.
/// </summary>
/// <remarks>
/// A malformed file is reported with an <see cref="InvalidDataException"/> whose message names the byte offset and
/// what was wrong there: a capture file is input to a tool or a test, not traffic in the poll loop, so throwing is right.
/// The stream is read forward only (it need not be seekable); offsets count from where the reader started.
/// The reader is not thread-safe.
/// </remarks>
public sealed class PcapReader : IDisposable
{
    /// <summary>The largest captured length accepted in any record (256 KiB), whatever the header's snapshot length says.</summary>
    public const int MaxRecordLength = PcapFormat.MaxSnapLength;

    private const int InitialBufferLength = 2048;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly bool _bigEndian;
    private readonly long _fractionUnitNanoseconds;
    private readonly uint _fractionLimit;
    private readonly int _recordLimit;
    private readonly byte[] _recordHeader = new byte[PcapFormat.RecordHeaderLength];
    private byte[] _buffer;
    private long _offset;
    private long _framesRead;
    private bool _disposed;

    /// <summary>Reads and checks the 24-byte global header at the stream's current position.</summary>
    /// <param name="stream">A readable stream positioned at the start of a pcap file.</param>
    /// <param name="leaveOpen">True to leave <paramref name="stream"/> open when the reader is disposed.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> cannot be read.</exception>
    /// <exception cref="InvalidDataException">The global header is truncated, has an unknown magic number, or a version other than 2.</exception>
    public PcapReader(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
            throw new ArgumentException("The stream cannot be read; open it for reading before handing it to PcapReader.", nameof(stream));
        _stream = stream;
        _leaveOpen = leaveOpen;

        Span<byte> header = stackalloc byte[PcapFormat.GlobalHeaderLength];
        var got = _stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        _offset = got;
        if (got < 4)
            throw new InvalidDataException($"Not a pcap file: the stream ends after {got} bytes, before the 4-byte magic number at offset 0 (a pcap file starts with a 24-byte global header).");

        var magic = BinaryPrimitives.ReadUInt32LittleEndian(header);
        switch (magic)
        {
            case PcapFormat.MicrosecondMagic:
                TimestampPrecision = PcapTimestampPrecision.Microseconds;
                break;
            case PcapFormat.NanosecondMagic:
                TimestampPrecision = PcapTimestampPrecision.Nanoseconds;
                break;
            default:
                switch (BinaryPrimitives.ReverseEndianness(magic))
                {
                    case PcapFormat.MicrosecondMagic:
                        TimestampPrecision = PcapTimestampPrecision.Microseconds;
                        _bigEndian = true;
                        break;
                    case PcapFormat.NanosecondMagic:
                        TimestampPrecision = PcapTimestampPrecision.Nanoseconds;
                        _bigEndian = true;
                        break;
                    default:
                        throw BadMagic(magic);
                }
                break;
        }

        if (got < PcapFormat.GlobalHeaderLength)
            throw new InvalidDataException($"Truncated pcap global header: the stream ends at offset {got}, but the global header is {PcapFormat.GlobalHeaderLength} bytes long.");

        VersionMajor = ReadUInt16(header[4..]);
        VersionMinor = ReadUInt16(header[6..]);
        if (VersionMajor != PcapFormat.VersionMajor)
            throw new InvalidDataException($"Unsupported pcap version {VersionMajor}.{VersionMinor} at offset 4: only version 2.x exists in the classic format.");

        var snapLength = ReadUInt32(header[16..]);
        SnapLength = snapLength > int.MaxValue ? int.MaxValue : (int)snapLength;
        LinkType = (PcapLinkType)(ReadUInt32(header[20..]) & PcapFormat.LinkTypeMask);

        // A snapshot length of 0 means the writer did not record one; 256 KiB bounds every record regardless.
        _recordLimit = snapLength == 0 || snapLength > MaxRecordLength ? MaxRecordLength : (int)snapLength;
        if (TimestampPrecision == PcapTimestampPrecision.Nanoseconds)
        {
            _fractionUnitNanoseconds = 1;
            _fractionLimit = (uint)PcapFormat.NanosecondsPerSecond;
        }
        else
        {
            _fractionUnitNanoseconds = PcapFormat.NanosecondsPerMicrosecond;
            _fractionLimit = 1_000_000;
        }
        _buffer = new byte[Math.Min(InitialBufferLength, _recordLimit)];
    }

    /// <summary>The link-layer type of every record (the low 16 bits of the header's link-type field).</summary>
    public PcapLinkType LinkType { get; }

    /// <summary>
    /// The snapshot length from the global header: no record captures more bytes than this. 0 means the writer did not
    /// record one; values above <see cref="int.MaxValue"/> read as <see cref="int.MaxValue"/>.
    /// </summary>
    public int SnapLength { get; }

    /// <summary>Whether the file's timestamps count microseconds or nanoseconds (records report nanoseconds either way).</summary>
    public PcapTimestampPrecision TimestampPrecision { get; }

    /// <summary>True when the file was written big-endian (its magic number reads byte-swapped on this reader).</summary>
    public bool IsBigEndian => _bigEndian;

    /// <summary>The major version from the global header (always 2).</summary>
    public ushort VersionMajor { get; }

    /// <summary>The minor version from the global header (4 in every current writer).</summary>
    public ushort VersionMinor { get; }

    /// <summary>How many records have been read so far.</summary>
    public long FramesRead => _framesRead;

    /// <summary>Opens the pcap file at <paramref name="path"/> for reading; the reader closes it when disposed.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>A reader positioned at the first record.</returns>
    /// <exception cref="InvalidDataException">The file does not start with a valid pcap global header.</exception>
    public static PcapReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 64 * 1024);
        try
        {
            return new PcapReader(stream);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the next record. Its <see cref="PcapRecord.Data"/> lies in a buffer the reader reuses: it stays valid until the
    /// next call to this method or until the reader is disposed.
    /// </summary>
    /// <param name="record">The record read, or default when the file has ended.</param>
    /// <returns>True when a record was read; false at a clean end of file (the stream ends exactly between records).</returns>
    /// <exception cref="InvalidDataException">
    /// The file ends inside a record, or a record's header is inconsistent: captured length over the snapshot length or
    /// 256 KiB, original length shorter than captured length, or a fractional timestamp of a second or more.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The reader has been disposed.</exception>
    public bool TryReadFrame(out PcapRecord record)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        record = default;
        var recordOffset = _offset;
        var frameNumber = _framesRead + 1;

        var got = _stream.ReadAtLeast(_recordHeader, PcapFormat.RecordHeaderLength, throwOnEndOfStream: false);
        _offset += got;
        if (got == 0) return false;
        if (got < PcapFormat.RecordHeaderLength)
            throw new InvalidDataException($"Truncated record header for frame {frameNumber} at offset {recordOffset}: the file ends after {got} of its {PcapFormat.RecordHeaderLength} bytes.");

        var header = _recordHeader.AsSpan();
        var seconds = ReadUInt32(header);
        var fraction = ReadUInt32(header[4..]);
        var capturedLength = ReadUInt32(header[8..]);
        var originalLength = ReadUInt32(header[12..]);

        if (capturedLength > (uint)_recordLimit)
            throw CapturedLengthTooLong(frameNumber, recordOffset, capturedLength);
        if (originalLength < capturedLength)
            throw new InvalidDataException($"Frame {frameNumber} at offset {recordOffset}: the original length {originalLength} is shorter than the captured length {capturedLength}; a record cannot hold more bytes than the frame had.");
        if (originalLength > int.MaxValue)
            throw new InvalidDataException($"Frame {frameNumber} at offset {recordOffset}: the original length {originalLength} is beyond any frame size (over 2 GiB).");
        if (fraction >= _fractionLimit)
            throw new InvalidDataException($"Frame {frameNumber} at offset {recordOffset + 4}: the timestamp's fractional part {fraction} is a second or more (the file counts {TimestampPrecision}, so it must be below {_fractionLimit}).");

        var length = (int)capturedLength;
        if (_buffer.Length < length)
            _buffer = new byte[Math.Min(Math.Max(length, _buffer.Length * 2), _recordLimit)];
        var data = _buffer.AsSpan(0, length);
        got = _stream.ReadAtLeast(data, length, throwOnEndOfStream: false);
        _offset += got;
        if (got < length)
            throw new InvalidDataException($"Truncated record for frame {frameNumber} at offset {recordOffset}: it claims {length} captured bytes from offset {recordOffset + PcapFormat.RecordHeaderLength}, but the file ends after {got} of them.");

        _framesRead = frameNumber;
        record = new PcapRecord(seconds * PcapFormat.NanosecondsPerSecond + fraction * _fractionUnitNanoseconds, (int)originalLength, data);
        return true;
    }

    /// <summary>Closes the stream unless the reader was told to leave it open. Calling it again does nothing.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_leaveOpen) _stream.Dispose();
    }

    private ushort ReadUInt16(ReadOnlySpan<byte> bytes) =>
        _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(bytes) : BinaryPrimitives.ReadUInt16LittleEndian(bytes);

    private uint ReadUInt32(ReadOnlySpan<byte> bytes) =>
        _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt32LittleEndian(bytes);

    private static InvalidDataException BadMagic(uint magicLittleEndian)
    {
        var swapped = BinaryPrimitives.ReverseEndianness(magicLittleEndian);
        if (magicLittleEndian == PcapFormat.PcapNgSectionHeader)
            return new InvalidDataException("Bad magic at offset 0: this is a pcapng file, not classic pcap; convert it with 'editcap -F pcap IN OUT' or capture with 'tcpdump -w' (which writes classic pcap).");
        if (magicLittleEndian == PcapFormat.ModifiedPcapMagic || swapped == PcapFormat.ModifiedPcapMagic)
            return new InvalidDataException("Bad magic at offset 0: this is the old 'modified pcap' format (magic a1b2cd34), which is not supported; convert it with 'editcap -F pcap IN OUT'.");
        // Show the bytes in file order, which is what a hex dump of the file shows.
        return new InvalidDataException($"Bad magic at offset 0: the file starts with bytes {swapped:x8}, not a classic pcap magic number (a1b2c3d4 for microseconds or a1b23c4d for nanoseconds, in either byte order).");
    }

    private InvalidDataException CapturedLengthTooLong(long frameNumber, long recordOffset, uint capturedLength) =>
        capturedLength > MaxRecordLength
            ? new InvalidDataException($"Frame {frameNumber} at offset {recordOffset}: the captured length {capturedLength} exceeds the {MaxRecordLength}-byte (256 KiB) limit on a record; the file is corrupt.")
            : new InvalidDataException($"Frame {frameNumber} at offset {recordOffset}: the captured length {capturedLength} exceeds the file's snapshot length {SnapLength}; the file is corrupt.");
}
