// redis://[[user:]password@]host[:port][/db], parsed as cli_common.c's parseRedisUri does:
// percent-decoding of user and password, the same error texts, rediss:// refused (no TLS).
using System.Text;

namespace Cinnabar.Cli;

/// <summary>The -u option.</summary>
internal static class RedisUri
{
    /// <summary>Applies the parts of <paramref name="uri"/> to <paramref name="o"/>; exits on a bad URI.</summary>
    public static void Parse(string uri, CliOptions o)
    {
        const string scheme = "redis://";
        const string tlsScheme = "rediss://";
        if (uri.StartsWith(tlsScheme, StringComparison.OrdinalIgnoreCase))
        {
            Terminal.Err("rediss:// is only supported when cinnabar-cli is compiled with OpenSSL\n");
            throw Terminal.Exit(1);
        }

        if (!uri.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            Terminal.Err("Invalid URI scheme\n");
            throw Terminal.Exit(1);
        }

        string rest = uri[scheme.Length..];
        if (rest.Length == 0)
        {
            return;
        }

        int at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            int colon = rest.IndexOf(':', StringComparison.Ordinal);
            int start = 0;
            if (colon >= 0 && colon < at)
            {
                o.User = PercentDecode(rest[..colon]);
                start = colon + 1;
            }

            o.Password = PercentDecode(rest[start..at]);
            rest = rest[(at + 1)..];
        }

        if (rest.Length == 0)
        {
            return;
        }

        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (rest[0] != '/')
        {
            string hostPort = slash >= 0 ? rest[..slash] : rest;
            int portColon = hostPort.IndexOf(':', StringComparison.Ordinal);
            if (portColon >= 0)
            {
                o.Port = CNumbers.Atoi(hostPort[(portColon + 1)..]);
                hostPort = hostPort[..portColon];
            }

            o.Host = hostPort;
        }

        rest = slash >= 0 ? rest[(slash + 1)..] : string.Empty;
        if (rest.Length > 0)
        {
            o.InputDb = CNumbers.Atoi(rest);
        }
    }

    private static string PercentDecode(string s)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] != '%')
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(s[i].ToString()));
                continue;
            }

            if (s.Length - i - 1 < 2)
            {
                Terminal.Err("Incomplete URI encoding\n");
                throw Terminal.Exit(1);
            }

            char h = char.ToLowerInvariant(s[i + 1]), l = char.ToLowerInvariant(s[i + 2]);
            if (!Uri.IsHexDigit(h) || !Uri.IsHexDigit(l))
            {
                Terminal.Err("Illegal character in URI encoding\n");
                throw Terminal.Exit(1);
            }

            bytes.Add((byte)((Uri.FromHex(h) << 4) + Uri.FromHex(l)));
            i += 2;
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }
}
