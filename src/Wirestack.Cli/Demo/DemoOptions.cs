using Wirestack.Nic;

namespace Wirestack.Cli.Demo;

/// <summary>What `wirestack demo` was asked to do.</summary>
/// <param name="TransferBytes">How many bytes the TCP transfer carries.</param>
/// <param name="PcapPath">Where to record the link, or null.</param>
/// <param name="Verbose">Whether to print the control frames.</param>
/// <param name="ShowProgress">Whether to draw a progress line (only on a terminal).</param>
/// <param name="Faults">Faults injected into what host A receives, to show (and test) how a failed step reads; null for none.</param>
/// <param name="StepTimeout">How long a step waits for the stacks; null for 5 s.</param>
internal sealed record DemoOptions(long TransferBytes, string? PcapPath, bool Verbose, bool ShowProgress,
    FaultInjectorOptions? Faults = null, TimeSpan? StepTimeout = null);
