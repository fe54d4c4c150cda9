namespace Wirestack.Cli.Serve.Iperf3;

/// <summary>The transport an iperf3 test measures.</summary>
internal enum Iperf3Protocol
{
    /// <summary>TCP data streams (the default).</summary>
    Tcp,

    /// <summary>UDP data streams with sequence numbers and send times in every datagram.</summary>
    Udp,
}
