namespace Wirestack.Wire;

/// <summary>IGMP message types (RFC 1112, RFC 2236, RFC 3376). Others pass through as their numeric value.</summary>
public enum IgmpType : byte
{
    /// <summary>Membership query, any version (RFC 3376 section 7.1 tells them apart).</summary>
    MembershipQuery = 0x11,

    /// <summary>IGMPv1 membership report (RFC 1112).</summary>
    MembershipReportV1 = 0x12,

    /// <summary>IGMPv2 membership report (RFC 2236).</summary>
    MembershipReportV2 = 0x16,

    /// <summary>IGMPv2 leave group (RFC 2236).</summary>
    LeaveGroup = 0x17,

    /// <summary>IGMPv3 membership report (RFC 3376), a list of group records.</summary>
    MembershipReportV3 = 0x22,
}
