namespace Wirestack.Interop.Sockets;

/// <summary>
/// A Python script for the kernel's side: <c>connections</c> threads, each with a connection (and so a source port) of
/// its own, send random bytes while they read the echo, then compare digests; it prints how many came back intact.
/// </summary>
internal static class ParallelEchoClients
{
    public static string Script(string server, int port, int connections, int bytesEach, int timeoutSeconds) => $$"""
        import socket, hashlib, os, threading
        ok = []
        def run(i):
            data = os.urandom({{bytesEach}})
            s = socket.create_connection(("{{server}}", {{port}}), timeout={{timeoutSeconds}})
            def send():
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
            t = threading.Thread(target=send)
            t.start()
            h = hashlib.sha256()
            while True:
                b = s.recv(1 << 16)
                if not b:
                    break
                h.update(b)
            t.join()
            s.close()
            if h.digest() == hashlib.sha256(data).digest():
                ok.append(i)
        threads = [threading.Thread(target=run, args=(i,)) for i in range({{connections}})]
        for t in threads: t.start()
        for t in threads: t.join()
        print(len(ok))
        """;
}
