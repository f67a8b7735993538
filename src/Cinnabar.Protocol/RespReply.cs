using System.Text;

namespace Cinnabar.Protocol;

/// <summary>One parsed reply, as a client holds it: a tree of typed values, strings kept as bytes.</summary>
public sealed class RespReply
{
    private static readonly IReadOnlyList<RespReply> NoElements = [];

    private RespReply(RespType type, byte[] bytes, long integer, IReadOnlyList<RespReply> elements, string? format)
    {
        Type = type;
        Bytes = bytes;
        Integer = integer;
        Elements = elements;
        Format = format;
    }

    /// <summary>The reply's type.</summary>
    public RespType Type { get; }

    /// <summary>The payload of strings, errors, doubles, big numbers and verbatim strings (empty otherwise).</summary>
    public byte[] Bytes { get; }

    /// <summary>The value of integers (and 1/0 for booleans).</summary>
    public long Integer { get; }

    /// <summary>Elements of arrays, sets and pushes; keys and values alternately for maps.</summary>
    public IReadOnlyList<RespReply> Elements { get; }

    /// <summary>The three-letter format of a verbatim string ("txt", "mkd").</summary>
    public string? Format { get; }

    /// <summary>True for arrays, maps, sets and pushes.</summary>
    public bool IsAggregate => Type is RespType.Array or RespType.Map or RespType.Set or RespType.Push;

    /// <summary>The payload decoded as UTF-8 (for texts meant for people: errors, INFO).</summary>
    public string Text => Encoding.UTF8.GetString(Bytes);

    /// <summary>A reply carrying bytes (strings, errors, doubles, big numbers).</summary>
    public static RespReply FromBytes(RespType type, byte[] bytes) => new(type, bytes, 0, NoElements, null);

    /// <summary>A verbatim string.</summary>
    public static RespReply FromVerbatim(string format, byte[] text) => new(RespType.Verbatim, text, 0, NoElements, format);

    /// <summary>An integer or boolean.</summary>
    public static RespReply FromInteger(RespType type, long value) => new(type, [], value, NoElements, null);

    /// <summary>A null.</summary>
    public static RespReply Nil { get; } = new(RespType.Nil, [], 0, NoElements, null);

    /// <summary>An aggregate (array, map with flattened pairs, set, push).</summary>
    public static RespReply FromElements(RespType type, IReadOnlyList<RespReply> elements) => new(type, [], 0, elements, null);
}
