namespace Cinnabar.Server.Storage.Types;

/// <summary>What zsetAdd did.</summary>
internal enum ZAddOutcome
{
    /// <summary>Nothing changed (NX/XX/GT/LT refused, or same score).</summary>
    Nop,

    /// <summary>A new member.</summary>
    Added,

    /// <summary>An existing member's score changed.</summary>
    Updated,

    /// <summary>The existing member already had that score.</summary>
    Unchanged,

    /// <summary>The resulting score is NaN; nothing changed.</summary>
    NaN,
}
