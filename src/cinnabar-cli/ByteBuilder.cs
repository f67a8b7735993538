using System.Text;

using Cinnabar.Protocol;

namespace Cinnabar.Cli;

/// <summary>A growable byte buffer with the appends the formatters need.</summary>
internal sealed class ByteBuilder
{
    private readonly List<byte> _bytes = [];

    public int Length => _bytes.Count;

    public void Append(string text) => _bytes.AddRange(Encoding.UTF8.GetBytes(text));

    public void Append(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            _bytes.Add(b);
        }
    }

    /// <summary>sdscatrepr.</summary>
    public void AppendRepr(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length + 2);
        Repr.Append(sb, bytes);
        Append(sb.ToString());
    }

    /// <summary>Drops the last byte (sdsrange(out,0,-2)).</summary>
    public void RemoveLast() => _bytes.RemoveAt(_bytes.Count - 1);

    public byte[] ToArray() => [.. _bytes];
}
