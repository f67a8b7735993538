// Redis's glob matcher (util.c stringmatchlen), used by KEYS, SCAN MATCH and later by
// PSUBSCRIBE, CONFIG GET and ACL patterns. Written from Redis's documented behaviour, with its
// quirks kept because clients see them:
// - '*' runs collapse; once the rest of the pattern fails to match at every later position,
//   earlier stars stop retrying (Redis's skipLongerMatches), which keeps "a*a*a*...b" linear.
// - '[' sets: '^' negates, "a-z" ranges (ends may be reversed), '\' escapes one character; an
//   unterminated set ends at the pattern's end and still consumes one character of the string.
// - C compares plain char, which is signed on the platforms Redis ships for: range bounds and
//   the tested byte are compared as signed bytes.
// - Reading past the pattern's end yields 0, like C reading the string's NUL terminator.
namespace Cinnabar.Server.Storage;

/// <summary>Glob-style matching exactly as Redis's stringmatchlen.</summary>
internal static class GlobPattern
{
    private const int MaxNesting = 1000;

    /// <summary>True when <paramref name="text"/> matches <paramref name="pattern"/>.</summary>
    public static bool IsMatch(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text, bool noCase = false)
    {
        bool skipLonger = false;
        return Match(pattern, 0, text, 0, noCase, ref skipLonger, 0);
    }

    /// <summary>True for the pattern "*" alone, which KEYS and SCAN treat as "no filter".</summary>
    public static bool MatchesEverything(ReadOnlySpan<byte> pattern) => pattern.Length == 1 && pattern[0] == (byte)'*';

    private static bool Match(ReadOnlySpan<byte> pattern, int p, ReadOnlySpan<byte> text, int s, bool noCase, ref bool skipLonger, int nesting)
    {
        // Each '*' recurses once; a pattern with thousands of stars would exhaust the stack, so
        // it fails to match instead (later Redis versions add the same limit).
        if (nesting > MaxNesting)
        {
            return false;
        }

        int plen = pattern.Length - p;
        int slen = text.Length - s;
        while (plen > 0 && slen > 0)
        {
            switch (pattern[p])
            {
                case (byte)'*':
                    while (plen > 0 && At(pattern, p + 1) == '*')
                    {
                        p++;
                        plen--;
                    }

                    if (plen == 1)
                    {
                        return true;
                    }

                    while (slen > 0)
                    {
                        if (Match(pattern, p + 1, text, s, noCase, ref skipLonger, nesting + 1))
                        {
                            return true;
                        }

                        if (skipLonger)
                        {
                            return false;
                        }

                        s++;
                        slen--;
                    }

                    skipLonger = true;
                    return false;

                case (byte)'?':
                    s++;
                    slen--;
                    break;

                case (byte)'[':
                    {
                        p++;
                        plen--;
                        bool not = At(pattern, p) == '^';
                        if (not)
                        {
                            p++;
                            plen--;
                        }

                        bool match = false;
                        sbyte c = (sbyte)text[s];
                        while (true)
                        {
                            if (At(pattern, p) == '\\' && plen >= 2)
                            {
                                p++;
                                plen--;
                                if ((sbyte)pattern[p] == c)
                                {
                                    match = true;
                                }
                            }
                            else if (At(pattern, p) == ']')
                            {
                                break;
                            }
                            else if (plen == 0)
                            {
                                p--;
                                plen++;
                                break;
                            }
                            else if (plen >= 3 && pattern[p + 1] == '-')
                            {
                                int start = (sbyte)pattern[p];
                                int end = (sbyte)pattern[p + 2];
                                int ch = c;
                                if (start > end)
                                {
                                    (start, end) = (end, start);
                                }

                                if (noCase)
                                {
                                    start = Lower(start);
                                    end = Lower(end);
                                    ch = Lower(ch);
                                }

                                p += 2;
                                plen -= 2;
                                if (ch >= start && ch <= end)
                                {
                                    match = true;
                                }
                            }
                            else if (noCase ? Lower((sbyte)pattern[p]) == Lower(c) : (sbyte)pattern[p] == c)
                            {
                                match = true;
                            }

                            p++;
                            plen--;
                        }

                        if (not)
                        {
                            match = !match;
                        }

                        if (!match)
                        {
                            return false;
                        }

                        s++;
                        slen--;
                        break;
                    }

                default:
                    if (pattern[p] == '\\' && plen >= 2)
                    {
                        p++;
                        plen--;
                    }

                    if (noCase ? Lower((sbyte)pattern[p]) != Lower((sbyte)text[s]) : pattern[p] != text[s])
                    {
                        return false;
                    }

                    s++;
                    slen--;
                    break;
            }

            p++;
            plen--;
            if (slen == 0)
            {
                while (At(pattern, p) == '*')
                {
                    p++;
                    plen--;
                }

                break;
            }
        }

        return plen == 0 && slen == 0;
    }

    private static int At(ReadOnlySpan<byte> pattern, int i) => i < pattern.Length ? pattern[i] : 0;

    private static int Lower(int c) => c is >= 'A' and <= 'Z' ? c + 32 : c;
}
