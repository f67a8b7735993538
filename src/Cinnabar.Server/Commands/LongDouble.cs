// Redis computes INCRBYFLOAT (and HINCRBYFLOAT) in C's `long double`, which on x86-64 Linux is
// the x87 80-bit extended format: a 64-bit significand and a 15-bit exponent. Its replies are
// visible to clients ("%.17Lf" with trailing zeros trimmed), so doing the arithmetic in .NET's
// 64-bit double would change results (e.g. 10.5 + 0.1 would read 10.59999999999999964 instead of
// 10.6). This type reproduces the format exactly: values are kept as sign * m * 2^e with
// m < 2^64, every operation is computed exactly with BigInteger and then rounded to nearest,
// ties to even, as the FPU does; parsing follows glibc strtold plus Redis's string2ld checks,
// and formatting follows glibc's printf (exact decimal expansion, round half to even).
using System.Numerics;
using System.Text;

namespace Cinnabar.Server.Commands;

/// <summary>An x87 80-bit extended precision value (C long double on x86-64 Linux).</summary>
internal readonly struct LongDouble
{
    /// <summary>Redis's MAX_LONG_DOUBLE_CHARS: inputs of this length or more are rejected.</summary>
    public const int MaxChars = 5 * 1024;

    private const int SignificandBits = 64;

    // Exponent of the least significant bit of the smallest denormal (2^-16445).
    private const int MinExponent = -16445;

    // Values at or above 2^16384 overflow to infinity.
    private const int MaxBinaryMagnitude = 16384;

    private readonly BigInteger _m;
    private readonly int _e;

    private LongDouble(bool negative, BigInteger m, int e, bool infinite)
    {
        Negative = negative;
        _m = m;
        _e = e;
        IsInfinity = infinite;
    }

    /// <summary>True for a negative value (including -0 and -inf).</summary>
    public bool Negative { get; }

    /// <summary>True for +inf or -inf.</summary>
    public bool IsInfinity { get; }

    /// <summary>The exact value of a 64-bit integer (always representable).</summary>
    public static LongDouble FromInt64(long v) =>
        new(v < 0, BigInteger.Abs(new BigInteger(v)), 0, false);

    /// <summary>a + b rounded to the extended format; inf + -inf is reported as NaN (false).</summary>
    public static bool TryAdd(LongDouble a, LongDouble b, out LongDouble sum)
    {
        if (a.IsInfinity || b.IsInfinity)
        {
            if (a.IsInfinity && b.IsInfinity && a.Negative != b.Negative)
            {
                sum = default;
                return false;
            }

            sum = a.IsInfinity ? a : b;
            return true;
        }

        int e = Math.Min(a._e, b._e);
        var ma = a._m << (a._e - e);
        var mb = b._m << (b._e - e);
        var total = (a.Negative ? -ma : ma) + (b.Negative ? -mb : mb);
        if (total.IsZero)
        {
            // IEEE: x + (-x) is +0 in round-to-nearest; -0 + -0 stays -0.
            sum = new LongDouble(a.Negative && b.Negative, BigInteger.Zero, 0, false);
            return true;
        }

        sum = Round(total.Sign < 0, BigInteger.Abs(total), e, sticky: false);
        return true;
    }

    /// <summary>
    /// Parses like Redis's string2ld: strtold over the whole input, rejecting leading blanks,
    /// trailing garbage, NaN, overflow and underflow to zero.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> s, out LongDouble value)
    {
        value = default;
        if (s.Length == 0 || s.Length >= MaxChars)
        {
            return false;
        }

        int p = 0;
        bool negative = false;
        if (s[0] == (byte)'+' || s[0] == (byte)'-')
        {
            negative = s[0] == (byte)'-';
            p++;
        }

        var rest = s[p..];
        if (Ascii.EqualsIgnoreCase(rest, "inf"u8) || Ascii.EqualsIgnoreCase(rest, "infinity"u8))
        {
            value = new LongDouble(negative, BigInteger.Zero, 0, true);
            return true;
        }

        if (rest.Length > 2 && rest[0] == (byte)'0' && (rest[1] | 0x20) == (byte)'x')
        {
            return TryParseHex(negative, rest[2..], out value);
        }

        return TryParseDecimal(negative, rest, out value);
    }

    /// <summary>Formats like Redis's ld2string(LD_STR_HUMAN): "%.17Lf", trailing zeros and dot trimmed, "-0" as "0".</summary>
    public byte[] ToHumanBytes()
    {
        if (IsInfinity)
        {
            return Negative ? "-inf"u8.ToArray() : "inf"u8.ToArray();
        }

        // Exact value * 10^17, rounded half to even, as glibc's printf does.
        var scaled = _m * BigInteger.Pow(10, 17);
        BigInteger n;
        if (_e >= 0)
        {
            n = scaled << _e;
        }
        else
        {
            n = scaled >> -_e;
            var remainder = scaled - (n << -_e);
            var twice = remainder << 1;
            var unit = BigInteger.One << -_e;
            int cmp = twice.CompareTo(unit);
            if (cmp > 0 || (cmp == 0 && !n.IsEven))
            {
                n += 1;
            }
        }

        var digits = n.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(18, '0');
        var sb = new StringBuilder(digits.Length + 2);
        if (Negative)
        {
            sb.Append('-');
        }

        sb.Append(digits, 0, digits.Length - 17).Append('.').Append(digits, digits.Length - 17, 17);
        int len = sb.Length;
        while (sb[len - 1] == '0')
        {
            len--;
        }

        if (sb[len - 1] == '.')
        {
            len--;
        }

        sb.Length = len;
        var text = sb.ToString();
        return text == "-0" ? "0"u8.ToArray() : Encoding.ASCII.GetBytes(text);
    }

    private static bool TryParseDecimal(bool negative, ReadOnlySpan<byte> s, out LongDouble value)
    {
        value = default;
        int p = 0;
        var digits = new StringBuilder();
        int intDigits = 0;
        int fracDigits = 0;
        while (p < s.Length && IsDigit(s[p]))
        {
            digits.Append((char)s[p++]);
            intDigits++;
        }

        if (p < s.Length && s[p] == (byte)'.')
        {
            p++;
            while (p < s.Length && IsDigit(s[p]))
            {
                digits.Append((char)s[p++]);
                fracDigits++;
            }
        }

        if (intDigits + fracDigits == 0)
        {
            return false;
        }

        long exp10 = 0;
        if (p < s.Length && (s[p] | 0x20) == (byte)'e')
        {
            p++;
            bool expNegative = false;
            if (p < s.Length && (s[p] == (byte)'+' || s[p] == (byte)'-'))
            {
                expNegative = s[p] == (byte)'-';
                p++;
            }

            if (p == s.Length)
            {
                return false;
            }

            while (p < s.Length && IsDigit(s[p]))
            {
                // Saturate: anything this large is an overflow or underflow anyway.
                exp10 = Math.Min((exp10 * 10) + (s[p++] - '0'), 1_000_000);
            }

            if (expNegative)
            {
                exp10 = -exp10;
            }
        }

        if (p != s.Length)
        {
            return false;
        }

        var mantissa = BigInteger.Parse(digits.ToString(), System.Globalization.CultureInfo.InvariantCulture);
        exp10 -= fracDigits;
        if (mantissa.IsZero)
        {
            value = new LongDouble(negative, BigInteger.Zero, 0, false);
            return true;
        }

        // Far outside the format's range (about 1e-4951 .. 1.19e4932): strtold reports ERANGE.
        long magnitude = exp10 + digits.Length;
        if (magnitude > 4940 || magnitude < -4970)
        {
            return false;
        }

        LongDouble result;
        if (exp10 >= 0)
        {
            result = Round(negative, mantissa * BigInteger.Pow(10, (int)exp10), 0, sticky: false);
        }
        else
        {
            var divisor = BigInteger.Pow(10, (int)-exp10);

            // Scale so that the quotient has enough bits for correct rounding; the remainder
            // becomes the sticky bit.
            int shift = (int)Math.Max(0, SignificandBits + 3 + divisor.GetBitLength() - mantissa.GetBitLength());
            var quotient = BigInteger.DivRem(mantissa << shift, divisor, out var remainder);
            result = Round(negative, quotient, -shift, sticky: !remainder.IsZero);
        }

        // Overflow to infinity and underflow to zero are ERANGE errors for string2ld.
        if (result.IsInfinity || result._m.IsZero)
        {
            return false;
        }

        value = result;
        return true;
    }

    private static bool TryParseHex(bool negative, ReadOnlySpan<byte> s, out LongDouble value)
    {
        value = default;
        int p = 0;
        var mantissa = BigInteger.Zero;
        int digitCount = 0;
        long exp2 = 0;
        while (p < s.Length && HexValue(s[p]) >= 0)
        {
            mantissa = (mantissa << 4) + HexValue(s[p++]);
            digitCount++;
        }

        if (p < s.Length && s[p] == (byte)'.')
        {
            p++;
            while (p < s.Length && HexValue(s[p]) >= 0)
            {
                mantissa = (mantissa << 4) + HexValue(s[p++]);
                digitCount++;
                exp2 -= 4;
            }
        }

        if (digitCount == 0)
        {
            return false;
        }

        if (p < s.Length && (s[p] | 0x20) == (byte)'p')
        {
            p++;
            bool expNegative = false;
            if (p < s.Length && (s[p] == (byte)'+' || s[p] == (byte)'-'))
            {
                expNegative = s[p] == (byte)'-';
                p++;
            }

            if (p == s.Length)
            {
                return false;
            }

            long e = 0;
            while (p < s.Length && IsDigit(s[p]))
            {
                e = Math.Min((e * 10) + (s[p++] - '0'), 1_000_000);
            }

            exp2 += expNegative ? -e : e;
        }

        if (p != s.Length)
        {
            return false;
        }

        if (mantissa.IsZero)
        {
            value = new LongDouble(negative, BigInteger.Zero, 0, false);
            return true;
        }

        long magnitude = exp2 + (long)mantissa.GetBitLength();
        if (magnitude > MaxBinaryMagnitude + 1 || magnitude < MinExponent - 2)
        {
            return false;
        }

        var result = Round(negative, mantissa, (int)exp2, sticky: false);
        if (result.IsInfinity || result._m.IsZero)
        {
            return false;
        }

        value = result;
        return true;
    }

    // Rounds sign * (m + sticky epsilon) * 2^e to a 64-bit significand (fewer bits for denormals),
    // nearest, ties to even.
    private static LongDouble Round(bool negative, BigInteger m, int e, bool sticky)
    {
        long bits = (long)m.GetBitLength();
        long drop = Math.Max(bits - SignificandBits, (long)MinExponent - e);
        if (drop > 0)
        {
            if (drop > bits + 1)
            {
                return new LongDouble(negative, BigInteger.Zero, 0, false);
            }

            int d = (int)drop;
            var kept = m >> d;
            var remainder = m - (kept << d);
            var half = BigInteger.One << (d - 1);
            int cmp = remainder.CompareTo(half);
            if (cmp > 0 || (cmp == 0 && (sticky || !kept.IsEven)))
            {
                kept += 1;
            }

            m = kept;
            e += d;
            if (m.GetBitLength() > SignificandBits)
            {
                m >>= 1;
                e++;
            }
        }

        if (m.IsZero)
        {
            return new LongDouble(negative, BigInteger.Zero, 0, false);
        }

        if ((long)m.GetBitLength() + e > MaxBinaryMagnitude)
        {
            return new LongDouble(negative, BigInteger.Zero, 0, true);
        }

        return new LongDouble(negative, m, e, false);
    }

    private static bool IsDigit(byte c) => c >= (byte)'0' && c <= (byte)'9';

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
