using System.Globalization;

namespace Wirestack.Benchmarks.TapTcp;

/// <summary>One measured transfer: bytes over seconds (as the receiving end timed them) and what it took to move them.</summary>
internal sealed record TransferResult(string Name, long Bytes, double Seconds, string Details)
{
    public double Gbits => Bytes * 8 / Seconds / 1e9;

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Name}: {Bytes / 1048576.0:0.0} MiB in {Seconds:0.000} s = {Gbits:0.00} Gbit/s");
}
