namespace Wirestack.Cli.Serve.Iperf3;

/// <summary>An iperf3 client broke the protocol or asked for something the server cannot do; the test is ended.</summary>
internal sealed class Iperf3ProtocolException(string message, Iperf3ErrorCode errorCode = Iperf3ErrorCode.ReceiveParameters) : Exception(message)
{
    /// <summary>What to tell the client after SERVER_ERROR.</summary>
    public Iperf3ErrorCode ErrorCode { get; } = errorCode;
}
