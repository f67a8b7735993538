namespace Cinnabar.Protocol;

/// <summary>The kind of a RESP2/RESP3 reply, as a client sees it (hiredis's REDIS_REPLY_* types).</summary>
public enum RespType
{
    /// <summary><c>+text</c></summary>
    SimpleString,

    /// <summary><c>-ERR text</c> (and RESP3 blob errors <c>!len</c>).</summary>
    Error,

    /// <summary><c>:n</c></summary>
    Integer,

    /// <summary><c>$len</c></summary>
    BulkString,

    /// <summary><c>$-1</c>, <c>*-1</c> or RESP3 <c>_</c>.</summary>
    Nil,

    /// <summary><c>*n</c></summary>
    Array,

    /// <summary>RESP3 <c>%n</c>; elements hold keys and values alternately.</summary>
    Map,

    /// <summary>RESP3 <c>~n</c></summary>
    Set,

    /// <summary>RESP3 <c>&gt;n</c> (out-of-band pushes: pub/sub messages, invalidations).</summary>
    Push,

    /// <summary>RESP3 <c>,text</c>; the text is kept as sent ("3.14", "inf").</summary>
    Double,

    /// <summary>RESP3 <c>#t</c>/<c>#f</c>; <see cref="RespReply.Integer"/> is 1 or 0.</summary>
    Boolean,

    /// <summary>RESP3 <c>=len\r\nfmt:text</c>; the text without its three-letter format.</summary>
    Verbatim,

    /// <summary>RESP3 <c>(digits</c>; the digits are kept as text.</summary>
    BigNumber,
}
