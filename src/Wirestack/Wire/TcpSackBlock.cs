namespace Wirestack.Wire;

/// <summary>
/// One block of a SACK option (RFC 2018): the peer holds the bytes from <paramref name="Left"/>
/// up to, not including, <paramref name="Right"/>.
/// </summary>
/// <param name="Left">The first sequence number of the block.</param>
/// <param name="Right">The sequence number just past the block.</param>
public readonly record struct TcpSackBlock(TcpSeqNumber Left, TcpSeqNumber Right);
