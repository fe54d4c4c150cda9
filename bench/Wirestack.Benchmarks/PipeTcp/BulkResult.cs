namespace Wirestack.Benchmarks.PipeTcp;

/// <summary>One bulk round: its goodput, the data segments the sender put out, and what both threads allocated in steady state.</summary>
internal readonly record struct BulkResult(double Seconds, long Bytes, long Segments, long Retransmitted, long SteadySegments, long SteadyAllocated)
{
    public double Gbits => Bytes * 8 / Seconds / 1e9;

    public double BytesPerSegment => SteadySegments == 0 ? 0 : (double)SteadyAllocated / SteadySegments;
}
