namespace Cinnabar.Protocol;

/// <summary>Outcome of one parse step: kept apart so "need more data" is never mistaken for bad input.</summary>
public enum ParseStatus
{
    /// <summary>A whole command was parsed (it may have zero arguments: an empty inline line or <c>*0</c>).</summary>
    Complete,

    /// <summary>The buffer ends inside a command; read more and call again.</summary>
    Incomplete,

    /// <summary>The input is malformed; <see cref="RequestParser.Error"/> holds Redis's reply text.</summary>
    Error,
}
