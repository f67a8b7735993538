// The arguments of one command as slices of the buffers they arrived in. Parsing does not copy
// bulk strings: a slice points into the connection's receive buffer, which the connection never
// rewrites while a command that points into it is alive. Commands that outlive the batch
// (MULTI queues, blocked commands) take an owning copy with Clone().
namespace Cinnabar.Protocol;

/// <summary>The argument vector of one command; argument 0 is the command name.</summary>
public sealed class CommandArgs
{
    private byte[][] _buffers = new byte[8][];
    private int[] _offsets = new int[8];
    private int[] _lengths = new int[8];

    /// <summary>Number of arguments including the command name.</summary>
    public int Count { get; private set; }

    /// <summary>Total bytes of all arguments.</summary>
    public long TotalLength { get; private set; }

    /// <summary>The bytes of argument <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index));
            }

            return new ReadOnlySpan<byte>(_buffers[index], _offsets[index], _lengths[index]);
        }
    }

    /// <summary>Creates an argument vector from owned arrays (tests, propagation, MULTI).</summary>
    public static CommandArgs From(params byte[][] args)
    {
        var result = new CommandArgs();
        foreach (var a in args)
        {
            result.Add(a, 0, a.Length);
        }

        return result;
    }

    /// <summary>Creates an argument vector from UTF-8 strings (tests and internal commands).</summary>
    public static CommandArgs FromStrings(params string[] args)
    {
        var result = new CommandArgs();
        foreach (var a in args)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(a);
            result.Add(bytes, 0, bytes.Length);
        }

        return result;
    }

    /// <summary>Length of argument <paramref name="index"/>.</summary>
    public int LengthOf(int index) => _lengths[index];

    /// <summary>A fresh array holding argument <paramref name="index"/>.</summary>
    public byte[] ToArray(int index) => this[index].ToArray();

    /// <summary>Argument <paramref name="index"/> as a string (UTF-8; for names and options only).</summary>
    public string GetString(int index) => System.Text.Encoding.UTF8.GetString(this[index]);

    /// <summary>Appends a slice.</summary>
    public void Add(byte[] buffer, int offset, int length)
    {
        if (Count == _buffers.Length)
        {
            int n = Count * 2;
            Array.Resize(ref _buffers, n);
            Array.Resize(ref _offsets, n);
            Array.Resize(ref _lengths, n);
        }

        _buffers[Count] = buffer;
        _offsets[Count] = offset;
        _lengths[Count] = length;
        Count++;
        TotalLength += length;
    }

    /// <summary>Appends an owned array.</summary>
    public void Add(byte[] value) => Add(value, 0, value.Length);

    /// <summary>Replaces argument <paramref name="index"/> (used to rewrite commands for propagation).</summary>
    public void Set(int index, byte[] value)
    {
        TotalLength += value.Length - _lengths[index];
        _buffers[index] = value;
        _offsets[index] = 0;
        _lengths[index] = value.Length;
    }

    /// <summary>Forgets all arguments, keeping capacity.</summary>
    public void Clear()
    {
        Array.Clear(_buffers, 0, Count);
        Count = 0;
        TotalLength = 0;
    }

    /// <summary>An owning deep copy whose slices no longer point into network buffers.</summary>
    public CommandArgs Clone()
    {
        var copy = new CommandArgs();
        for (int i = 0; i < Count; i++)
        {
            copy.Add(ToArray(i));
        }

        return copy;
    }

    /// <summary>True when argument <paramref name="index"/> equals <paramref name="ascii"/> ignoring ASCII case.</summary>
    public bool Is(int index, ReadOnlySpan<byte> ascii) => Ascii.EqualsIgnoreCase(this[index], ascii);
}
