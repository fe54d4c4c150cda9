using Wirestack.Wire;

namespace Wirestack.Iface;

/// <summary>
/// An ICMP or ICMPv6 echo reply an <see cref="Interface"/> received, as queued for <see cref="Interface.TryDequeueEchoReply"/>.
/// A ping keeps its own send times by sequence number; <see cref="ReceivedAt"/> is the poll time the reply was
/// handled at, so the round-trip time is <c>ReceivedAt - sentAt</c>.
/// </summary>
public readonly struct EchoReply
{
    /// <summary>Makes a reply record.</summary>
    public EchoReply(IpAddress source, ushort identifier, ushort sequenceNumber, int payloadLength, Instant receivedAt)
    {
        Source = source;
        Identifier = identifier;
        SequenceNumber = sequenceNumber;
        PayloadLength = payloadLength;
        ReceivedAt = receivedAt;
    }

    /// <summary>Who answered.</summary>
    public IpAddress Source { get; }

    /// <summary>The echo identifier.</summary>
    public ushort Identifier { get; }

    /// <summary>The echo sequence number.</summary>
    public ushort SequenceNumber { get; }

    /// <summary>The echo data's length in bytes.</summary>
    public int PayloadLength { get; }

    /// <summary>The <c>now</c> of the <see cref="Interface.Poll"/> that received it.</summary>
    public Instant ReceivedAt { get; }

    /// <inheritdoc />
    public override string ToString() => $"echo reply from {Source} id {Identifier} seq {SequenceNumber} ({PayloadLength} B) at {ReceivedAt}";
}
