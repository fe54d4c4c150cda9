namespace Wirestack.Diagnostics;

/// <summary>The unit of the fractional part of a pcap record's timestamp, fixed for a file by its magic number.</summary>
public enum PcapTimestampPrecision : byte
{
    /// <summary>Magic 0xa1b2c3d4: the fraction counts microseconds.</summary>
    Microseconds,

    /// <summary>Magic 0xa1b23c4d: the fraction counts nanoseconds.</summary>
    Nanoseconds,
}
