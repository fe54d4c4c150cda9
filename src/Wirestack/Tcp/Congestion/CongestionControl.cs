namespace Wirestack.Tcp;

/// <summary>Makes congestion controllers.</summary>
public static class CongestionControl
{
    /// <summary>The initial window for <paramref name="mss"/>: min(10·mss, max(2·mss, 14600)) bytes (RFC 6928).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mss"/> is not positive.</exception>
    public static int InitialWindow(int mss)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(mss, 0, nameof(mss));
        return (int)Math.Min(10L * mss, Math.Max(2L * mss, 14600));
    }

    /// <summary>A new controller running <paramref name="algorithm"/>, initialized for <paramref name="mss"/> at time zero.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mss"/> is not positive, or the algorithm is unknown.</exception>
    public static ICongestionControl Create(CongestionControlAlgorithm algorithm, int mss) => algorithm switch
    {
        CongestionControlAlgorithm.NewReno => new NewRenoCongestionControl(mss),
        CongestionControlAlgorithm.Cubic => new CubicCongestionControl(mss),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Choose CongestionControlAlgorithm.Cubic or CongestionControlAlgorithm.NewReno."),
    };
}
