namespace Wirestack.Wire;

/// <summary>The record types of an IGMPv3 group record (RFC 3376 section 4.2.12).</summary>
public enum IgmpGroupRecordType : byte
{
    /// <summary>Current-state record: the interface is in INCLUDE mode for the listed sources.</summary>
    ModeIsInclude = 1,

    /// <summary>Current-state record: the interface is in EXCLUDE mode for the listed sources.</summary>
    ModeIsExclude = 2,

    /// <summary>Filter-mode-change record: the interface changed to INCLUDE mode (a leave when no sources are listed).</summary>
    ChangeToIncludeMode = 3,

    /// <summary>Filter-mode-change record: the interface changed to EXCLUDE mode (a join when no sources are listed).</summary>
    ChangeToExcludeMode = 4,

    /// <summary>Source-list-change record: the listed sources are now wanted.</summary>
    AllowNewSources = 5,

    /// <summary>Source-list-change record: the listed sources are no longer wanted.</summary>
    BlockOldSources = 6,
}
