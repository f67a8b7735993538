// Redis's glob matching (util.c stringmatchlen): * ? [abc] [^a-z] and backslash escapes,
// optionally case-insensitive. Used by COMMAND LIST FILTERBY PATTERN; KEYS, SCAN MATCH and
// pub/sub patterns follow the same rules.
namespace Cinnabar.Server.Commands;

/// <summary>Glob-style pattern matching with Redis's semantics.</summary>
internal static class GlobPattern
{
    /// <summary>Redis's stringmatchlen glob: * ? [abc] [^a-z] and backslash escapes.</summary>
    public static bool Match(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> s, bool noCase)
    {
        while (pattern.Length > 0)
        {
            switch (pattern[0])
            {
                case (byte)'*':
                    while (pattern.Length > 1 && pattern[1] == '*')
                    {
                        pattern = pattern[1..];
                    }

                    if (pattern.Length == 1)
                    {
                        return true;
                    }

                    for (int i = 0; i <= s.Length; i++)
                    {
                        if (Match(pattern[1..], s[i..], noCase))
                        {
                            return true;
                        }
                    }

                    return false;
                case (byte)'?':
                    if (s.Length == 0)
                    {
                        return false;
                    }

                    s = s[1..];
                    break;
                case (byte)'[':
                    {
                        if (s.Length == 0)
                        {
                            return false;
                        }

                        pattern = pattern[1..];
                        bool not = pattern.Length > 0 && pattern[0] == '^';
                        if (not)
                        {
                            pattern = pattern[1..];
                        }

                        bool match = false;
                        while (pattern.Length > 0 && pattern[0] != ']')
                        {
                            if (pattern[0] == '\\' && pattern.Length >= 2)
                            {
                                pattern = pattern[1..];
                                match |= Eq(pattern[0], s[0], noCase);
                            }
                            else if (pattern.Length >= 3 && pattern[1] == '-')
                            {
                                byte lo = pattern[0], hi = pattern[2], c = s[0];
                                if (lo > hi)
                                {
                                    (lo, hi) = (hi, lo);
                                }

                                if (noCase)
                                {
                                    lo = Lower(lo);
                                    hi = Lower(hi);
                                    c = Lower(c);
                                }

                                match |= c >= lo && c <= hi;
                                pattern = pattern[2..];
                            }
                            else
                            {
                                match |= Eq(pattern[0], s[0], noCase);
                            }

                            pattern = pattern[1..];
                        }

                        if (not)
                        {
                            match = !match;
                        }

                        if (!match)
                        {
                            return false;
                        }

                        s = s[1..];
                        if (pattern.Length == 0)
                        {
                            return s.Length == 0;
                        }

                        break;
                    }

                case (byte)'\\' when pattern.Length >= 2:
                    pattern = pattern[1..];
                    if (s.Length == 0 || !Eq(pattern[0], s[0], noCase))
                    {
                        return false;
                    }

                    s = s[1..];
                    break;
                default:
                    if (s.Length == 0 || !Eq(pattern[0], s[0], noCase))
                    {
                        return false;
                    }

                    s = s[1..];
                    break;
            }

            pattern = pattern[1..];
        }

        return s.Length == 0;
    }

    private static byte Lower(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;

    private static bool Eq(byte a, byte b, bool noCase) => noCase ? Lower(a) == Lower(b) : a == b;
}
