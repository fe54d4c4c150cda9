using Wirestack.Iface;
using Wirestack.Tcp;

namespace Wirestack.Interop.Tcp;

/// <summary>
/// The echo Wirestack runs for a kernel client, as a <see cref="Iface.PollLoop"/> step on the Interface's only owner:
/// accepts one connection, writes back what it reads (reading only what fits the send ring), and shuts its side once
/// the client has shut its own and everything is echoed. <see cref="KernelClientScript"/> is the client.
/// </summary>
internal sealed class TcpEcho(Interface iface, TcpListenerHandle listener)
{
    private readonly byte[] _buffer = new byte[256 * 1024];
    private TcpHandle _connection;
    private bool _shut;

    /// <summary>Bytes written back so far.</summary>
    public long Echoed { get; private set; }

    public Instant Step(Instant now)
    {
        if (!_connection.IsAssigned && !iface.TryAcceptTcp(listener, out _connection)) return Instant.MaxValue;
        var info = iface.GetTcpInfo(_connection);
        int room = Math.Min(info.WritableBytes, _buffer.Length);
        int read = room > 0 ? iface.ReadTcp(_connection, _buffer.AsSpan(0, room), now) : 0;
        if (read > 0)
        {
            iface.WriteTcp(_connection, _buffer.AsSpan(0, read), now);
            Echoed += read;
        }
        if (!_shut && info.ReadCompleted && read == 0 && info.State == TcpState.CloseWait)
        {
            iface.ShutdownTcpWrite(_connection, now);
            _shut = true;
        }
        return read > 0 ? now : Instant.MaxValue;
    }

    /// <summary>
    /// A python3 client: connects to <paramref name="address"/>:<paramref name="port"/>, sends <paramref name="length"/>
    /// random bytes (from <paramref name="seed"/>) while it reads the echo, shuts its side, and prints the SHA-256 of what
    /// it sent, of what came back, and how many bytes came back.
    /// </summary>
    public static string KernelClientScript(string address, int port, int length, int seed) =>
        "import socket,hashlib,threading,random\n" +
        $"data=random.Random({seed}).randbytes({length})\n" +
        $"s=socket.create_connection(('{address}',{port}),timeout=60)\n" +
        "h=hashlib.sha256();n=[0]\n" +
        "def rx():\n" +
        " while True:\n" +
        "  d=s.recv(1<<16)\n" +
        "  if not d: break\n" +
        "  h.update(d);n[0]+=len(d)\n" +
        "t=threading.Thread(target=rx);t.start()\n" +
        "s.sendall(data);s.shutdown(socket.SHUT_WR);t.join()\n" +
        "print(hashlib.sha256(data).hexdigest(),h.hexdigest(),n[0])";
}
