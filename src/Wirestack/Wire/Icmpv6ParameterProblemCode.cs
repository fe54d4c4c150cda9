namespace Wirestack.Wire;

/// <summary>Codes of <see cref="Icmpv6Type.ParameterProblem"/>.</summary>
public enum Icmpv6ParameterProblemCode : byte
{
    /// <summary>Erroneous header field encountered.</summary>
    ErroneousHeaderField = 0,

    /// <summary>Unrecognised next header type encountered.</summary>
    UnrecognizedNextHeader = 1,

    /// <summary>Unrecognised IPv6 option encountered.</summary>
    UnrecognizedOption = 2,

    /// <summary>The first fragment has an incomplete header chain (RFC 7112).</summary>
    IncompleteHeaderChain = 3,
}
