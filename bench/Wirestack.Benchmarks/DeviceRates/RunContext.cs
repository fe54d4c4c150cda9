namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>What every group of rows shares: the options, the cleanup, the kernel sender, and the notes printed under the table.</summary>
internal sealed class RunContext(DeviceRatesOptions options, CleanupRegistry cleanup, UdpBlaster? blaster)
{
    /// <summary>The frame sizes every row is measured at: the minimum Ethernet frame and a full 1500-byte MTU.</summary>
    public static readonly int[] FrameSizes = [64, 1514];

    /// <summary>How long the kernel sender goes on after the receiver's window should have ended: room for its start-up.</summary>
    public static readonly TimeSpan SenderTail = TimeSpan.FromSeconds(0.5);

    public DeviceRatesOptions Options { get; } = options;

    public CleanupRegistry Cleanup { get; } = cleanup;

    public CancellationToken Token => Cleanup.Token;

    /// <summary>The compiled kernel sender, or null when there is no C compiler.</summary>
    public UdpBlaster? Blaster { get; } = blaster;

    /// <summary>Per-row details: delivery checks, drops, the sender's own figures.</summary>
    public List<string> Notes { get; } = [];

    /// <summary>How long a kernel sender runs so it covers a receiver's warm-up and window.</summary>
    public TimeSpan SenderDuration => Options.Warmup + Options.Measure + SenderTail;

    /// <summary>Prints progress to standard error, keeping standard output for the table.</summary>
    public static void Progress(string line) => Console.Error.WriteLine("devices: " + line);
}
