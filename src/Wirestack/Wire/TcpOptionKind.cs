namespace Wirestack.Wire;

/// <summary>TCP option kinds Wirestack reads and writes (IANA "TCP Option Kind Numbers").</summary>
public enum TcpOptionKind : byte
{
    /// <summary>End of option list (RFC 9293); the bytes after it are padding.</summary>
    EndOfList = 0,

    /// <summary>No-operation, used to align the next option (RFC 9293).</summary>
    NoOperation = 1,

    /// <summary>Maximum segment size, 4 bytes (RFC 9293).</summary>
    MaxSegmentSize = 2,

    /// <summary>Window scale shift count, 3 bytes (RFC 7323).</summary>
    WindowScale = 3,

    /// <summary>SACK permitted, 2 bytes (RFC 2018).</summary>
    SackPermitted = 4,

    /// <summary>Selective acknowledgment blocks, 2 + 8n bytes (RFC 2018).</summary>
    Sack = 5,

    /// <summary>Timestamps, 10 bytes (RFC 7323).</summary>
    Timestamps = 8,
}
