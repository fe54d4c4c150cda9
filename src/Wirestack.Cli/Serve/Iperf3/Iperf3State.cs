namespace Wirestack.Cli.Serve.Iperf3;

/// <summary>
/// The one-byte (signed) messages of iperf3's control connection: the server announces each phase of a test with
/// one, the client answers with <see cref="TestEnd"/>, <see cref="IperfDone"/> or <see cref="ClientTerminate"/>.
/// </summary>
internal enum Iperf3State : sbyte
{
    /// <summary>Streams are connected; the test is about to start.</summary>
    TestStart = 1,

    /// <summary>Data may flow.</summary>
    TestRunning = 2,

    /// <summary>The client ends the test (its time or byte count is reached).</summary>
    TestEnd = 4,

    /// <summary>The server asks for the test parameters (JSON).</summary>
    ParamExchange = 9,

    /// <summary>The server asks the client to connect the data streams.</summary>
    CreateStreams = 10,

    /// <summary>The server is going away mid-test.</summary>
    ServerTerminate = 11,

    /// <summary>The client was interrupted mid-test.</summary>
    ClientTerminate = 12,

    /// <summary>Both sides send their results (JSON), the client first.</summary>
    ExchangeResults = 13,

    /// <summary>The client may print the results.</summary>
    DisplayResults = 14,

    /// <summary>The client is done with the control connection.</summary>
    IperfDone = 16,

    /// <summary>The server is busy with another client (or the cookie is unknown).</summary>
    AccessDenied = -1,

    /// <summary>The server failed; two 32-bit big-endian error numbers follow (iperf3's error code and errno).</summary>
    ServerError = -2,
}
