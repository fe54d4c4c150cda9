using Wirestack.Wire;

namespace Wirestack.Sockets;

/// <summary>What a datagram receive produced: how many bytes were copied and who sent them.</summary>
/// <param name="ReceivedBytes">The payload bytes copied into the caller's buffer (a longer datagram is truncated).</param>
/// <param name="RemoteEndPoint">The sender's address and port.</param>
public readonly record struct DatagramReceiveResult(int ReceivedBytes, IpEndpoint RemoteEndPoint);
