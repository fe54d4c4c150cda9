using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>An answered echo request from <see cref="Netstack.PingAsync(IpAddress, TimeSpan, int, CancellationToken)"/>.</summary>
/// <param name="Address">Who answered.</param>
/// <param name="RoundTripTime">From the poll that sent the request to the poll that received the reply.</param>
/// <param name="SequenceNumber">The echo sequence number.</param>
/// <param name="PayloadLength">The echo data's length in bytes.</param>
public readonly record struct PingReply(IpAddress Address, TimeSpan RoundTripTime, ushort SequenceNumber, int PayloadLength);
