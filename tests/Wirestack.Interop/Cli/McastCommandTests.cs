using Wirestack.Interop.Infrastructure;
using Wirestack.Testing;

namespace Wirestack.Interop.Cli;

/// <summary>
/// `wirestack mcast recv` and `mcast send` as their own processes on a TAP device, with python3 sockets in the
/// kernel's namespace as the other end: the CLI receives what a kernel sender sends to the group, and a kernel
/// receiver that joined the group gets each line the CLI sends, over IPv4 and IPv6.
/// </summary>
public sealed class McastCommandTests
{
    private const string KernelIpv4 = "10.241.0.1";
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("239.1.2.3", "5000")]
    [InlineData("ff15::1:2:3", "5000")]
    public void Recv_prints_each_datagram_a_kernel_sender_sends_to_the_group(string group, string port)
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        using var ns = NetworkNamespace.Create();
        string tap = ServeCommandTests.TapInNamespace(ns);
        string endpoint = group.Contains(':', StringComparison.Ordinal) ? $"[{group}]:{port}" : $"{group}:{port}";
        using var recv = CliProcess.StartIn(ns, "mcast", "recv", endpoint, "--count", "3", "--device", $"tap:{tap}", "--ip", "10.241.0.2/24", "--ip6", "fd41::2/64");
        recv.WaitForErrorLine("listening on " + endpoint, Startup);

        // The kernel sends on the TAP device: the group's route would otherwise be looked up in an empty table.
        string script = group.Contains(':', StringComparison.Ordinal)
            ? $"import socket\ns = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\ns.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex('{tap}'))\n"
            : $"import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton('{KernelIpv4}'))\n";
        script += $"for m in (b'first', b'second line\\n', b'third'):\n    s.sendto(m, ('{group}', {port}))\n";
        ns.Exec(python, "-c", script).EnsureSuccess("python3 multicast sender");

        var (code, output, error) = recv.WaitForExit(TimeSpan.FromSeconds(15));
        Assert.True(code == 0, output + error);
        Assert.Equal(["first", "second line", "third"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("239.1.2.4", "5001")]
    [InlineData("ff15::1:2:4", "5001")]
    public void Send_reaches_a_kernel_receiver_that_joined_the_group(string group, string port)
    {
        string python = Prerequisites.RequireTool("python3", "python3");
        using var ns = NetworkNamespace.Create();
        string tap = ServeCommandTests.TapInNamespace(ns);
        bool v6 = group.Contains(':', StringComparison.Ordinal);
        string join = v6
            ? $"s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\ns.bind(('{group}', {port}))\n" +
              $"s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, socket.inet_pton(socket.AF_INET6, '{group}') + struct.pack('@I', socket.if_nametoindex('{tap}')))\n"
            : $"s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('{group}', {port}))\n" +
              $"s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton('{group}') + socket.inet_aton('{KernelIpv4}'))\n";
        string script = "import socket, struct, sys\n" + join +
            "s.settimeout(20)\nprint('ready', flush=True)\nfor _ in range(3):\n    print(s.recv(100).decode(), flush=True)\n";
        var receiver = ns.Start(python, "-c", script);
        Assert.Equal("ready", receiver.StandardOutput.ReadLine());

        using var send = CliProcess.StartIn(ns, "mcast", "send", v6 ? $"[{group}]:{port}" : $"{group}:{port}",
            "--device", $"tap:{tap}", "--ip", "10.241.0.2/24", "--ip6", "fd41::2/64");
        send.Input.Write("one\ntwo words\nthree\n");
        send.Input.Close();
        var (code, output, error) = send.WaitForExit(TimeSpan.FromSeconds(30));
        Assert.True(code == 0, output + error);
        Assert.Equal("", error);

        Assert.True(receiver.WaitForExit(TimeSpan.FromSeconds(20)), "the kernel receiver did not get three datagrams");
        string received = receiver.StandardOutput.ReadToEnd();
        Assert.True(receiver.ExitCode == 0, received + receiver.StandardError.ReadToEnd());
        Assert.Equal(["one", "two words", "three"], received.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
