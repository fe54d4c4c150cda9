namespace Wirestack.Tests.Sockets;

/// <summary>
/// Tests that count allocations or memory process-wide (GC.GetTotalAllocatedBytes, GC.GetTotalMemory: the stack thread, the pool threads
/// awaits resume on, the whole heap) run alone: another test running in parallel would be counted too.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideAllocationCollection
{
    public const string Name = "Process-wide allocation counting";
}
