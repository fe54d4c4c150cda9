namespace Wirestack.Cli.Demo;

/// <summary>What `wirestack demo` was asked to do.</summary>
internal sealed record DemoOptions(long TransferBytes, string? PcapPath, bool Verbose, bool ShowProgress);
