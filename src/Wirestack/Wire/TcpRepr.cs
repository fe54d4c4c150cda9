using System.Buffers.Binary;

namespace Wirestack.Wire;

/// <summary>
/// The fields of a TCP header and the options Wirestack uses (MSS, window scale, SACK-permitted,
/// SACK blocks, timestamps), parsed from a <see cref="TcpPacket"/> or to be emitted.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="EmitHeader"/> writes the options in the aligned layout Linux uses (MSS; timestamps,
/// with SACK-permitted folded into their padding; SACK-permitted alone; window scale; SACK
/// blocks), so a segment Linux sent re-emits byte for byte. A segment whose options are laid out
/// otherwise (another order, other padding) re-emits with the same options in Linux's layout.
/// </para>
/// <para>
/// Options of kinds Wirestack does not know are skipped by <see cref="Parse"/>, which sets
/// <see cref="SkippedUnknownOptions"/>; they cannot be re-emitted, because the repr does not
/// keep their bytes. The reserved header bits are dropped too (RFC 9293: ignored on receipt,
/// zero when sent). Options another stack packed without padding can take more than 40 bytes in
/// Linux's layout; such a repr cannot be re-emitted (<see cref="EmitHeader"/> throws), which
/// matters only to code that echoes received options.
/// </para>
/// </remarks>
public struct TcpRepr
{
    // Option bytes in Linux's layout: each option is padded with leading no-operations to 4 bytes.
    private const int MssLength = 4;
    private const int TimestampsLength = 12;
    private const int SackPermittedLength = 4;
    private const int WindowScaleLength = 4;
    private const int SackHeaderLength = 4;
    private const int SackBlockLength = 8;
    private const TcpFlags AllFlags = (TcpFlags)0x01FF;

    /// <summary>The source port.</summary>
    public ushort SourcePort { get; set; }

    /// <summary>The destination port.</summary>
    public ushort DestinationPort { get; set; }

    /// <summary>The sequence number.</summary>
    public TcpSeqNumber SequenceNumber { get; set; }

    /// <summary>
    /// The acknowledgment number field, significant when <see cref="Flags"/> has
    /// <see cref="TcpFlags.Ack"/> (see <see cref="HasAck"/>). It is written as set either way, so
    /// leave it 0 when ACK is clear, as Linux does.
    /// </summary>
    public TcpSeqNumber AcknowledgmentNumber { get; set; }

    /// <summary>The control bits.</summary>
    public TcpFlags Flags { get; set; }

    /// <summary>The window field as sent: unscaled, since scaling is the TCP layer's job.</summary>
    public ushort WindowSize { get; set; }

    /// <summary>The urgent pointer field.</summary>
    public ushort UrgentPointer { get; set; }

    /// <summary>The number of data bytes after the header.</summary>
    public int PayloadLength { get; set; }

    /// <summary>The maximum segment size option, or null for none.</summary>
    public ushort? MaxSegmentSize { get; set; }

    /// <summary>The window scale shift count, as sent (RFC 7323 caps its use at 14), or null for none.</summary>
    public byte? WindowScale { get; set; }

    /// <summary>Whether the SACK-permitted option is present.</summary>
    public bool SackPermitted { get; set; }

    /// <summary>The timestamps option, or null for none.</summary>
    public TcpTimestamps? Timestamps { get; set; }

    /// <summary>The SACK blocks (none, or 1 to 4; see <see cref="MaxSackBlocks"/> for how many fit).</summary>
    public TcpSackBlocks SackBlocks { get; set; }

    /// <summary>
    /// Set by <see cref="Parse"/> when the segment carried options of unknown kinds, which were
    /// skipped and will not be re-emitted. <see cref="EmitHeader"/> ignores it.
    /// </summary>
    public bool SkippedUnknownOptions { get; set; }

    /// <summary>True when <see cref="Flags"/> has <see cref="TcpFlags.Ack"/>.</summary>
    public readonly bool HasAck => (Flags & TcpFlags.Ack) != 0;

    /// <summary>The option bytes <see cref="EmitHeader"/> writes (a multiple of 4).</summary>
    public readonly int OptionsLength => OptionsLengthWithoutSack + (SackBlocks.Count > 0 ? SackHeaderLength + SackBlockLength * SackBlocks.Count : 0);

    /// <summary>The header length: 20 plus <see cref="OptionsLength"/>.</summary>
    public readonly int HeaderLength => TcpPacket.MinHeaderLength + OptionsLength;

    /// <summary>The segment length: header plus payload (the length for the pseudo-header).</summary>
    public readonly int TotalLength => HeaderLength + PayloadLength;

    /// <summary>The sequence space the segment occupies: its data, plus one each for SYN and FIN.</summary>
    public readonly int SequenceLength => PayloadLength + ((Flags & TcpFlags.Syn) != 0 ? 1 : 0) + ((Flags & TcpFlags.Fin) != 0 ? 1 : 0);

    /// <summary>
    /// How many SACK blocks fit beside the other options set (4 alone, 3 with timestamps, as Linux
    /// sends). The TCP layer should trim <see cref="SackBlocks"/> to this before emitting.
    /// </summary>
    public readonly int MaxSackBlocks => Math.Clamp((TcpPacket.MaxOptionsLength - OptionsLengthWithoutSack - SackHeaderLength) / SackBlockLength, 0, TcpSackBlocks.MaxCount);

    private readonly int OptionsLengthWithoutSack =>
        (MaxSegmentSize.HasValue ? MssLength : 0)
        + (Timestamps.HasValue ? TimestampsLength : SackPermitted ? SackPermittedLength : 0)
        + (WindowScale.HasValue ? WindowScaleLength : 0);

    /// <summary>
    /// Reads the header fields and options of a checked segment. With <paramref name="verifyChecksum"/>,
    /// rejects a bad checksum (<paramref name="pseudoHeaderSum"/> is the IPv4 or IPv6 pseudo-header's
    /// partial sum). Returns <see cref="WireError.BadOptionLength"/> or <see cref="WireError.BadOption"/>
    /// for a malformed option (see <see cref="TcpOptionReader"/>); never throws. An option kind
    /// that appears twice keeps its last value.
    /// </summary>
    public static WireError Parse(TcpPacket packet, uint pseudoHeaderSum, out TcpRepr repr, bool verifyChecksum = true)
    {
        repr = default;
        if (verifyChecksum && !packet.VerifyChecksum(pseudoHeaderSum)) return WireError.BadChecksum;
        var parsed = new TcpRepr
        {
            SourcePort = packet.SourcePort,
            DestinationPort = packet.DestinationPort,
            SequenceNumber = packet.SequenceNumber,
            AcknowledgmentNumber = packet.AcknowledgmentNumber,
            Flags = packet.Flags,
            WindowSize = packet.WindowSize,
            UrgentPointer = packet.UrgentPointer,
            PayloadLength = packet.Payload.Length,
        };
        foreach (var option in packet.GetOptions())
        {
            if (option.Error != WireError.None) return option.Error;
            switch (option.Kind)
            {
                case TcpOptionKind.NoOperation:
                    break;
                case TcpOptionKind.MaxSegmentSize:
                    parsed.MaxSegmentSize = option.MaxSegmentSize;
                    break;
                case TcpOptionKind.WindowScale:
                    parsed.WindowScale = option.WindowScale;
                    break;
                case TcpOptionKind.SackPermitted:
                    parsed.SackPermitted = true;
                    break;
                case TcpOptionKind.Sack:
                    parsed.SackBlocks = option.GetSackBlocks();
                    break;
                case TcpOptionKind.Timestamps:
                    parsed.Timestamps = option.Timestamps;
                    break;
                default:
                    parsed.SkippedUnknownOptions = true;
                    break;
            }
        }
        repr = parsed;
        return WireError.None;
    }

    /// <summary>
    /// Writes the header, options included and checksum field zero, into the first
    /// <see cref="HeaderLength"/> bytes of <paramref name="buffer"/>. The TCP layer then copies
    /// the payload after it and calls <see cref="FillChecksum(Span{byte}, uint, uint)"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The buffer is too short, or a field does not fit the header.</exception>
    public readonly void EmitHeader(Span<byte> buffer)
    {
        Validate();
        int headerLength = HeaderLength;
        EmitGuard.RequireLength(buffer, headerLength);

        BinaryPrimitives.WriteUInt16BigEndian(buffer, SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], SequenceNumber.Value);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[8..], AcknowledgmentNumber.Value);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[12..], (ushort)((headerLength / 4) << 12 | (ushort)Flags));
        BinaryPrimitives.WriteUInt16BigEndian(buffer[14..], WindowSize);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[16..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[18..], UrgentPointer);
        WriteOptions(buffer[TcpPacket.MinHeaderLength..headerLength]);
    }

    /// <summary>
    /// Writes the header into <paramref name="buffer"/>, copies <paramref name="payload"/> after
    /// it (summing it in the same pass) and fills the checksum. <paramref name="pseudoHeaderSum"/>
    /// is the pseudo-header's partial sum for a length of <see cref="TotalLength"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The buffer is shorter than <see cref="TotalLength"/>, the payload is not <see cref="PayloadLength"/> bytes, or a field does not fit the header.</exception>
    public readonly void Emit(Span<byte> buffer, ReadOnlySpan<byte> payload, uint pseudoHeaderSum)
    {
        if (payload.Length != PayloadLength)
            throw new ArgumentException($"The payload is {payload.Length} bytes but PayloadLength is {PayloadLength}; set PayloadLength to the payload's length.", nameof(payload));
        Validate();
        EmitGuard.RequireLength(buffer, TotalLength);
        EmitHeader(buffer);
        uint payloadSum = InternetChecksum.CopyAndSum(payload, buffer[HeaderLength..]);
        FillChecksum(buffer, pseudoHeaderSum, payloadSum);
    }

    /// <summary>
    /// Computes and writes the checksum of <paramref name="segment"/> (header and payload, the
    /// whole span): for a header emitted with <see cref="EmitHeader"/> and a payload copied after
    /// it without summing.
    /// </summary>
    /// <exception cref="ArgumentException">The span is shorter than the header its data offset states.</exception>
    public static void FillChecksum(Span<byte> segment, uint pseudoHeaderSum)
    {
        RequireHeader(segment);
        BinaryPrimitives.WriteUInt16BigEndian(segment[16..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(segment[16..], InternetChecksum.Compute(segment, pseudoHeaderSum));
    }

    /// <summary>
    /// Computes and writes the checksum from the header at the start of <paramref name="segment"/>
    /// (only the header is read) and <paramref name="payloadSum"/>, the partial sum of the payload
    /// already taken while copying it (see <see cref="CopyPayloadAndSum"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The span is shorter than the header its data offset states.</exception>
    public static void FillChecksum(Span<byte> segment, uint pseudoHeaderSum, uint payloadSum)
    {
        int headerLength = RequireHeader(segment);
        BinaryPrimitives.WriteUInt16BigEndian(segment[16..], 0);
        // The header is a multiple of 4 bytes long, so the payload's sum needs no byte swap.
        uint sum = InternetChecksum.Add(InternetChecksum.Sum(segment[..headerLength], pseudoHeaderSum), payloadSum);
        BinaryPrimitives.WriteUInt16BigEndian(segment[16..], InternetChecksum.Finish(sum));
    }

    /// <summary>
    /// Copies a payload held in two pieces (a send ring that wraps) into the start of
    /// <paramref name="destination"/>, back to back, and returns the partial sum of the copied
    /// bytes for <see cref="FillChecksum(Span{byte}, uint, uint)"/>. Either piece may be empty
    /// or of odd length.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the two pieces.</exception>
    public static uint CopyPayloadAndSum(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Span<byte> destination)
    {
        if (destination.Length < first.Length + second.Length)
            throw new ArgumentException($"The destination holds {destination.Length} bytes but the payload has {first.Length + second.Length}.", nameof(destination));
        uint sum = InternetChecksum.CopyAndSum(first, destination);
        uint secondSum = InternetChecksum.CopyAndSum(second, destination[first.Length..]);
        // After an odd first piece every byte of the second sits in the other half of its word.
        if ((first.Length & 1) != 0) secondSum = BinaryPrimitives.ReverseEndianness((ushort)secondSum);
        return InternetChecksum.Add(sum, secondSum);
    }

    /// <summary>
    /// The partial sum of a payload held in two pieces, for a payload that is not copied (a device
    /// that gathers the pieces itself).
    /// </summary>
    public static uint SumPayload(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second) =>
        InternetChecksum.Continue(InternetChecksum.Sum(first), second, first.Length);

    private readonly void WriteOptions(Span<byte> options)
    {
        int offset = 0;
        if (MaxSegmentSize is ushort mss)
        {
            options[0] = (byte)TcpOptionKind.MaxSegmentSize;
            options[1] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(options[2..], mss);
            offset = MssLength;
        }
        if (Timestamps is TcpTimestamps timestamps)
        {
            var option = options.Slice(offset, TimestampsLength);
            if (SackPermitted)
            {
                option[0] = (byte)TcpOptionKind.SackPermitted;
                option[1] = 2;
            }
            else
            {
                option[0] = option[1] = (byte)TcpOptionKind.NoOperation;
            }
            option[2] = (byte)TcpOptionKind.Timestamps;
            option[3] = 10;
            BinaryPrimitives.WriteUInt32BigEndian(option[4..], timestamps.Value);
            BinaryPrimitives.WriteUInt32BigEndian(option[8..], timestamps.EchoReply);
            offset += TimestampsLength;
        }
        else if (SackPermitted)
        {
            var option = options.Slice(offset, SackPermittedLength);
            option[0] = option[1] = (byte)TcpOptionKind.NoOperation;
            option[2] = (byte)TcpOptionKind.SackPermitted;
            option[3] = 2;
            offset += SackPermittedLength;
        }
        if (WindowScale is byte shift)
        {
            var option = options.Slice(offset, WindowScaleLength);
            option[0] = (byte)TcpOptionKind.NoOperation;
            option[1] = (byte)TcpOptionKind.WindowScale;
            option[2] = 3;
            option[3] = shift;
            offset += WindowScaleLength;
        }
        var blocks = SackBlocks.AsSpan();
        if (blocks.Length > 0)
        {
            int length = 2 + SackBlockLength * blocks.Length;
            var option = options.Slice(offset, 2 + length);
            option[0] = option[1] = (byte)TcpOptionKind.NoOperation;
            option[2] = (byte)TcpOptionKind.Sack;
            option[3] = (byte)length;
            for (int i = 0; i < blocks.Length; i++)
            {
                BinaryPrimitives.WriteUInt32BigEndian(option[(4 + i * SackBlockLength)..], blocks[i].Left.Value);
                BinaryPrimitives.WriteUInt32BigEndian(option[(8 + i * SackBlockLength)..], blocks[i].Right.Value);
            }
        }
    }

    // Caller bugs that no buffer size would fix are reported before the buffer's length.
    private readonly void Validate()
    {
        if (OptionsLength > TcpPacket.MaxOptionsLength)
            throw new ArgumentException($"The options take {OptionsLength} bytes but a TCP header holds {TcpPacket.MaxOptionsLength}; send at most MaxSackBlocks ({MaxSackBlocks}) SACK blocks.");
        if ((Flags & ~AllFlags) != 0)
            throw new ArgumentException($"Flags 0x{(ushort)Flags:x} has bits outside the nine TCP control bits; use the TcpFlags values.");
        if (PayloadLength < 0)
            throw new ArgumentException($"PayloadLength is {PayloadLength}; it must not be negative.");
    }

    private static int RequireHeader(Span<byte> segment)
    {
        if (segment.Length < TcpPacket.MinHeaderLength)
            throw new ArgumentException($"The segment holds {segment.Length} bytes, less than a TCP header; pass the span starting at the header.", nameof(segment));
        int headerLength = (segment[12] >> 4) * 4;
        if (headerLength < TcpPacket.MinHeaderLength || headerLength > segment.Length)
            throw new ArgumentException($"The data offset states a {headerLength}-byte header in a {segment.Length}-byte segment; emit the header first.", nameof(segment));
        return headerLength;
    }
}
