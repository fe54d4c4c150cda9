using System.Globalization;

namespace Wirestack.Benchmarks.TapTcp;

/// <summary>The kernel's end of a transfer: small python3 programs that send or sink at full speed with 1 MiB calls.</summary>
internal static class KernelPeer
{
    /// <summary>Connects to <paramref name="host"/>:<paramref name="port"/>, sends zeros for <paramref name="seconds"/>, then closes.</summary>
    public static string[] Sender(string host, int port, double seconds) =>
    [
        "python3", "-c",
        "import socket,time\n" +
        string.Create(CultureInfo.InvariantCulture, $"s=socket.create_connection(('{host}',{port}),timeout=30)\n") +
        "b=bytes(1<<20);n=0;t=time.monotonic()\n" +
        string.Create(CultureInfo.InvariantCulture, $"while time.monotonic()-t<{seconds}:\n") +
        " s.sendall(b);n+=len(b)\n" +
        "s.shutdown(socket.SHUT_WR)\n" +
        "while s.recv(65536): pass\n" +
        "print('sent',n,flush=True)",
    ];

    /// <summary>Listens on <paramref name="host"/>:<paramref name="port"/>, prints "ready", then sinks one connection and prints "sink BYTES SECONDS" (first byte to end of stream).</summary>
    public static string[] Sink(string host, int port) =>
    [
        "python3", "-c",
        "import socket,time\n" +
        string.Create(CultureInfo.InvariantCulture, $"l=socket.socket();l.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);l.bind(('{host}',{port}));l.listen(1)\n") +
        "print('ready',flush=True)\n" +
        "c,a=l.accept();b=bytearray(1<<20);m=memoryview(b);n=c.recv_into(m);t=time.monotonic()\n" +
        "while True:\n" +
        " r=c.recv_into(m)\n" +
        " if r==0: break\n" +
        " n+=r\n" +
        "e=time.monotonic()-t\n" +
        "c.close();print('sink',n,e,flush=True)",
    ];
}
