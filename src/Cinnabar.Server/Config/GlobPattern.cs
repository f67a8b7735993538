// Redis's stringmatchlen (util.c): glob matching with *, ?, [...] (ranges, ^ negation) and
// backslash escapes, used by CONFIG GET patterns and by include's file patterns.
namespace Cinnabar.Server.Config;

/// <summary>Glob-style matching as Redis does it.</summary>
internal static class GlobPattern
{
    /// <summary>True when <paramref name="text"/> matches <paramref name="pattern"/>.</summary>
    public static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text, bool ignoreCase)
    {
        while (pattern.Length > 0 && text.Length > 0)
        {
            switch (pattern[0])
            {
                case '*':
                    while (pattern.Length > 1 && pattern[1] == '*')
                    {
                        pattern = pattern[1..];
                    }

                    if (pattern.Length == 1)
                    {
                        return true;
                    }

                    for (int i = 0; i <= text.Length; i++)
                    {
                        if (IsMatch(pattern[1..], text[i..], ignoreCase))
                        {
                            return true;
                        }
                    }

                    return false;
                case '?':
                    break;
                case '[':
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
                            match |= Same(pattern[0], text[0], ignoreCase);
                        }
                        else if (pattern.Length >= 3 && pattern[1] == '-')
                        {
                            char start = pattern[0], end = pattern[2], c = text[0];
                            if (start > end)
                            {
                                (start, end) = (end, start);
                            }

                            if (ignoreCase)
                            {
                                start = char.ToLowerInvariant(start);
                                end = char.ToLowerInvariant(end);
                                c = char.ToLowerInvariant(c);
                            }

                            pattern = pattern[2..];
                            match |= c >= start && c <= end;
                        }
                        else
                        {
                            match |= Same(pattern[0], text[0], ignoreCase);
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

                    if (pattern.Length == 0)
                    {
                        // An unterminated class: Redis treats the end of the pattern as its end.
                        return text.Length == 1;
                    }

                    break;
                case '\\':
                    if (pattern.Length >= 2)
                    {
                        pattern = pattern[1..];
                    }

                    if (!Same(pattern[0], text[0], ignoreCase))
                    {
                        return false;
                    }

                    break;
                default:
                    if (!Same(pattern[0], text[0], ignoreCase))
                    {
                        return false;
                    }

                    break;
            }

            pattern = pattern[1..];
            text = text[1..];
            if (text.Length == 0)
            {
                while (pattern.Length > 0 && pattern[0] == '*')
                {
                    pattern = pattern[1..];
                }

                break;
            }
        }

        return pattern.Length == 0 && text.Length == 0;
    }

    /// <summary>True when the text has a glob metacharacter (*, ? or [), as include checks.</summary>
    public static bool HasWildcard(string s) => s.AsSpan().IndexOfAny('*', '?', '[') >= 0;

    /// <summary>Expands a file pattern like glob(3): sorted matches, empty when nothing matches.</summary>
    public static List<string> ExpandPath(string pattern)
    {
        bool absolute = pattern.StartsWith('/');
        var parts = pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var current = new List<string> { absolute ? "/" : string.Empty };
        for (int i = 0; i < parts.Length; i++)
        {
            bool last = i == parts.Length - 1;
            var next = new List<string>();
            foreach (var baseDir in current)
            {
                if (!HasWildcard(parts[i]))
                {
                    var p = baseDir + parts[i];
                    if (last ? File.Exists(p) || Directory.Exists(p) : Directory.Exists(p))
                    {
                        next.Add(last ? p : p + "/");
                    }

                    continue;
                }

                var dir = baseDir.Length == 0 ? "." : baseDir;
                if (!Directory.Exists(dir))
                {
                    continue;
                }

                var names = new List<string>();
                foreach (var entry in Directory.EnumerateFileSystemEntries(dir))
                {
                    var name = Path.GetFileName(entry);
                    // glob(3) does not match hidden files with a wildcard unless the pattern starts with '.'.
                    if (name.StartsWith('.') && !parts[i].StartsWith('.'))
                    {
                        continue;
                    }

                    if (IsMatch(parts[i], name, ignoreCase: false) && (last || Directory.Exists(entry)))
                    {
                        names.Add(name);
                    }
                }

                names.Sort(StringComparer.Ordinal);
                next.AddRange(names.Select(n => last ? baseDir + n : baseDir + n + "/"));
            }

            current = next;
        }

        return current;
    }

    private static bool Same(char a, char b, bool ignoreCase) =>
        ignoreCase ? char.ToLowerInvariant(a) == char.ToLowerInvariant(b) : a == b;
}
