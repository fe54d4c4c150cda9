namespace Wirestack.Diagnostics;

/// <summary>Constants of the classic pcap file format that the reader and writer share.</summary>
internal static class PcapFormat
{
    public const uint MicrosecondMagic = 0xA1B2C3D4;
    public const uint NanosecondMagic = 0xA1B23C4D;

    // Recognised only to give a better error message than "bad magic".
    public const uint PcapNgSectionHeader = 0x0A0D0D0A;
    public const uint ModifiedPcapMagic = 0xA1B2CD34;

    public const ushort VersionMajor = 2;
    public const ushort VersionMinor = 4;

    public const int GlobalHeaderLength = 24;
    public const int RecordHeaderLength = 16;

    /// <summary>libpcap's own ceiling on a snapshot length (256 KiB); no sane record is longer.</summary>
    public const int MaxSnapLength = 262_144;

    public const long NanosecondsPerSecond = 1_000_000_000;
    public const long NanosecondsPerMicrosecond = 1_000;

    /// <summary>The low 16 bits of the header's link-type word are the type; the high bits may carry FCS information.</summary>
    public const uint LinkTypeMask = 0xFFFF;
}
