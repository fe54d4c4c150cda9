namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>What one device loop measured in its window (the warm-up left out).</summary>
/// <param name="Frames">Frames sent or received in the window.</param>
/// <param name="Seconds">The window's length.</param>
/// <param name="AllocatedBytes">Bytes the driving thread allocated in the window.</param>
/// <param name="OtherFrames">Received frames that were not the expected ones (any other length or type), whole run.</param>
/// <param name="WindowStart">The window's start, a <see cref="System.Diagnostics.Stopwatch"/> timestamp.</param>
/// <param name="WindowEnd">The window's end, a <see cref="System.Diagnostics.Stopwatch"/> timestamp.</param>
internal readonly record struct LoopResult(long Frames, double Seconds, long AllocatedBytes, long OtherFrames, long WindowStart, long WindowEnd)
{
    public double FramesPerSecond => Seconds > 0 ? Frames / Seconds : 0;
}
