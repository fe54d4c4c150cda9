namespace Wirestack.Cli.Serve.Iperf3;

/// <summary>The iperf3 error numbers (its <c>i_errno</c>) this server reports after a SERVER_ERROR state.</summary>
internal enum Iperf3ErrorCode
{
    /// <summary>IERECVPARAMS: the parameters could not be received or were not understood.</summary>
    ReceiveParameters = 114,

    /// <summary>IEUNIMP: the requested feature is not implemented.</summary>
    NotImplemented = 13,
}
