namespace Wirestack.Wire;

/// <summary>
/// What was wrong with bytes handed to a parser. Parsers return this instead of throwing, so a
/// malformed frame costs a counter increment, never an exception in the poll loop.
/// </summary>
public enum WireError : byte
{
    /// <summary>The bytes are well formed.</summary>
    None = 0,

    /// <summary>The buffer ends before the header, or before what a length field promises.</summary>
    Truncated,

    /// <summary>A length field is below its minimum or disagrees with another length.</summary>
    BadLength,

    /// <summary>The version field names a version this format does not have.</summary>
    BadVersion,

    /// <summary>The header length field is below the fixed header or past the buffer.</summary>
    BadHeaderLength,

    /// <summary>The checksum does not verify.</summary>
    BadChecksum,

    /// <summary>An option's length is below its minimum or runs past the header.</summary>
    BadOptionLength,

    /// <summary>An option is well delimited but its contents are invalid.</summary>
    BadOption,

    /// <summary>A valid value that Wirestack does not handle (an ARP hardware type other than Ethernet, say).</summary>
    Unsupported,

    /// <summary>A message type or code this format does not define.</summary>
    Unrecognized,

    /// <summary>More VLAN tags than Wirestack accepts (two: an 802.1ad outer and an 802.1Q inner tag).</summary>
    TooManyVlanTags,

    /// <summary>An IPv6 extension-header chain longer than Wirestack walks.</summary>
    TooManyExtensionHeaders,

    /// <summary>An address that is never valid in this field (a multicast source, say).</summary>
    BadAddress,

    /// <summary>Some other structural rule of the format is broken.</summary>
    Malformed,
}
