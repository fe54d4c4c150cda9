namespace Wirestack.Wire;

/// <summary>The codes of an ICMPv4 parameter problem message (RFC 792, RFC 1108, RFC 1812).</summary>
public enum Icmpv4ParameterProblemCode : byte
{
    /// <summary>The pointer names the octet of the invoking header where the error was found.</summary>
    PointerIndicatesError = 0,

    /// <summary>A required option is missing (RFC 1108).</summary>
    MissingRequiredOption = 1,

    /// <summary>Bad length (RFC 1812).</summary>
    BadLength = 2,
}
