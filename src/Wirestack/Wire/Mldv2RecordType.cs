namespace Wirestack.Wire;

/// <summary>MLDv2 multicast address record types (RFC 3810 section 5.2.12).</summary>
public enum Mldv2RecordType : byte
{
    /// <summary>Current state: include the listed sources.</summary>
    ModeIsInclude = 1,

    /// <summary>Current state: exclude the listed sources (with none listed: listen to all).</summary>
    ModeIsExclude = 2,

    /// <summary>State change: now include the listed sources (with none listed: leave the group).</summary>
    ChangeToInclude = 3,

    /// <summary>State change: now exclude the listed sources (with none listed: join the group).</summary>
    ChangeToExclude = 4,

    /// <summary>Source list change: listen to these sources too.</summary>
    AllowNewSources = 5,

    /// <summary>Source list change: stop listening to these sources.</summary>
    BlockOldSources = 6,
}
