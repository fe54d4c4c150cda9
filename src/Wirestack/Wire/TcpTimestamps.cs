namespace Wirestack.Wire;

/// <summary>The two values of a TCP timestamps option (RFC 7323 section 3).</summary>
/// <param name="Value">TSval: the sender's timestamp clock.</param>
/// <param name="EchoReply">TSecr: the most recent TSval received from the peer (0 in a SYN).</param>
public readonly record struct TcpTimestamps(uint Value, uint EchoReply);
