namespace Wirestack.Wire;

/// <summary>
/// The record types of an IGMPv3 group record (RFC 3376 section 4.2.12) and of an MLDv2 multicast
/// address record (RFC 3810 section 5.2.12): the two RFCs define the same six, with the same values.
/// </summary>
public enum MulticastRecordType : byte
{
    /// <summary>MODE_IS_INCLUDE, a current-state record: the interface is in INCLUDE mode for the listed sources.</summary>
    ModeIsInclude = 1,

    /// <summary>MODE_IS_EXCLUDE, a current-state record: the interface is in EXCLUDE mode for the listed sources (with none listed: it listens to all).</summary>
    ModeIsExclude = 2,

    /// <summary>CHANGE_TO_INCLUDE_MODE, a filter-mode-change record: the interface changed to INCLUDE mode (a leave when no sources are listed).</summary>
    ChangeToIncludeMode = 3,

    /// <summary>CHANGE_TO_EXCLUDE_MODE, a filter-mode-change record: the interface changed to EXCLUDE mode (a join when no sources are listed).</summary>
    ChangeToExcludeMode = 4,

    /// <summary>ALLOW_NEW_SOURCES, a source-list-change record: the listed sources are now wanted.</summary>
    AllowNewSources = 5,

    /// <summary>BLOCK_OLD_SOURCES, a source-list-change record: the listed sources are no longer wanted.</summary>
    BlockOldSources = 6,
}
