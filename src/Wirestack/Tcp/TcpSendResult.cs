namespace Wirestack.Tcp;

// What became of a segment handed to the IP layer.
internal enum TcpSendResult
{
    // On the device's ring, or waiting in a neighbour queue for resolution.
    Sent,
    // Lost for good (no route, too big, neighbour table full): the retransmission timer covers it.
    Dropped,
    // The device's ring was full: nothing was taken, and the segment can go as soon as the ring has room.
    Blocked,
}
