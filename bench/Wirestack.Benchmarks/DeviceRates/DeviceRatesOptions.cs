using System.Globalization;

namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>The command line of the <c>devices</c> mode: how long each row runs, the batch size, where the table goes.</summary>
internal sealed record DeviceRatesOptions
{
    public const string Usage =
        "usage: Wirestack.Benchmarks devices [--seconds N] [--batch N] [--output FILE]\n" +
        "  Frames per second through each NIC device (pipe, TAP, AF_PACKET) beside the kernel's own rate\n" +
        "  on the same link, measured in the same run. TAP, AF_PACKET and kernel rows need root.\n" +
        "  --seconds N   measured time per row, after a warm-up (default 2; e.g. 0.2 for a smoke run)\n" +
        "  --batch N     frames per batch: per flush, per receive, per sendmmsg (default 32, 1 to 1024)\n" +
        "  --output FILE also write the table (markdown) to FILE";

    /// <summary>Measured seconds per row.</summary>
    public double Seconds { get; init; } = 2;

    /// <summary>Frames per transmit flush, per receive, and per sendmmsg of the kernel sender.</summary>
    public int Batch { get; init; } = 32;

    /// <summary>A file to write the table to as well, or null.</summary>
    public string? OutputPath { get; init; }

    /// <summary>The measured window of a row.</summary>
    public TimeSpan Measure => TimeSpan.FromSeconds(Seconds);

    /// <summary>
    /// Run before the window and left out of it: long enough for tiered compilation to replace the
    /// loops with optimised code (on-stack replacement) and for the caches to fill, short enough
    /// that a smoke run stays short.
    /// </summary>
    public TimeSpan Warmup => TimeSpan.FromSeconds(Math.Clamp(Seconds / 4, 0.1, 0.5));

    /// <summary>Parses <paramref name="args"/> (the words after <c>devices</c>); on failure <paramref name="error"/> says why.</summary>
    public static bool TryParse(string[] args, out DeviceRatesOptions options, out string? error)
    {
        options = new DeviceRatesOptions();
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is "-h" or "--help" or "-?")
            {
                error = "";
                return false;
            }
            if (name is not ("--seconds" or "--batch" or "--output"))
            {
                error = $"unknown option '{name}'.";
                return false;
            }
            if (i + 1 >= args.Length)
            {
                error = $"{name} needs a value.";
                return false;
            }
            string value = args[++i];
            switch (name)
            {
                case "--seconds":
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || !(seconds > 0) || seconds > 600)
                    {
                        error = $"--seconds takes a number above 0 and at most 600, not '{value}'.";
                        return false;
                    }
                    options = options with { Seconds = seconds };
                    break;
                case "--batch":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int batch) || batch is < 1 or > 1024)
                    {
                        error = $"--batch takes a whole number from 1 to 1024, not '{value}'.";
                        return false;
                    }
                    options = options with { Batch = batch };
                    break;
                default:
                    options = options with { OutputPath = value };
                    break;
            }
        }
        return true;
    }
}
