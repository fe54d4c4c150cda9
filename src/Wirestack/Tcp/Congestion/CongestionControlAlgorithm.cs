namespace Wirestack.Tcp;

/// <summary>The congestion control algorithms the stack implements.</summary>
public enum CongestionControlAlgorithm
{
    /// <summary>CUBIC (RFC 9438), the default of Linux, Windows and macOS.</summary>
    Cubic,

    /// <summary>NewReno (RFC 5681, RFC 6582) with appropriate byte counting (RFC 3465).</summary>
    NewReno,
}
