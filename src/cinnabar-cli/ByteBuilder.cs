using System.Text;

using Cinnabar.Protocol;

namespace Cinnabar.Cli;

/// <summary>A growable byte buffer with the appends the formatters need (an sds, in effect).</summary>
internal sealed class ByteBuilder
{
    private byte[] _buffer = new byte[256];
    private int _length;

    public int Length => _length;

    public void Append(string text)
    {
        Ensure(Encoding.UTF8.GetMaxByteCount(text.Length));
        _length += Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_length));
    }

    public void Append(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    /// <summary>sdscatrepr.</summary>
    public void AppendRepr(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length + 2);
        Repr.Append(sb, bytes);
        Append(sb.ToString());
    }

    /// <summary>Drops the last byte (sdsrange(out,0,-2)).</summary>
    public void RemoveLast() => _length--;

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    private void Ensure(int more)
    {
        if (_length + more > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + more));
        }
    }
}
