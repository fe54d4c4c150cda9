namespace Wirestack.Tests.Sockets;

/// <summary>
/// Tests that count allocations on every thread (GC.GetTotalAllocatedBytes: the stack thread and the pool threads
/// awaits resume on) run alone: another test running in parallel would be counted too.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideAllocationCollection
{
    public const string Name = "Process-wide allocation counting";
}
