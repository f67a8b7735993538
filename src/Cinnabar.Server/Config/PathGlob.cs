// Glob helpers for configuration: CONFIG GET patterns (Redis's stringmatchlen, shared with KEYS
// and SCAN in Storage.GlobPattern) and include's file patterns (glob(3)-like expansion).
namespace Cinnabar.Server.Config;

/// <summary>Glob-style matching as Redis does it.</summary>
internal static class PathGlob
{
    /// <summary>True when <paramref name="text"/> matches <paramref name="pattern"/> (Redis's stringmatchlen over UTF-8).</summary>
    public static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text, bool ignoreCase) =>
        Storage.GlobPattern.IsMatch(System.Text.Encoding.UTF8.GetBytes(pattern.ToArray()), System.Text.Encoding.UTF8.GetBytes(text.ToArray()), ignoreCase);

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
