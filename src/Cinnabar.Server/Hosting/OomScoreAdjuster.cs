// oom-score-adj: Redis's setOOMScoreAdj. With oom-score-adj yes/relative the process's
// /proc/self/oom_score_adj becomes the base value read when we first took control plus the
// class value (primary or replica) from oom-score-adj-values; absolute writes the class value
// itself; turning it off writes the saved base back. The base is read once, so a later CONFIG
// SET works from the score the process had before Cinnabar touched it.
using System.Globalization;

using Cinnabar.Server.Config;
using Cinnabar.Server.Diagnostics;

namespace Cinnabar.Server.Hosting;

/// <summary>Keeps the process's OOM score in line with oom-score-adj and oom-score-adj-values.</summary>
internal sealed class OomScoreAdjuster(string path = "/proc/self/oom_score_adj")
{
    private bool _adjusted;
    private int _base;

    /// <summary>Applies the configuration (false after logging Redis's warning when the file cannot be read or written).</summary>
    public bool Apply(ServerConfig config, bool replica, Logger log)
    {
        if (!OperatingSystem.IsLinux())
        {
            return true;
        }

        string mode = config.Store.GetEnumName("oom-score-adj");
        int value;
        if (mode != "no")
        {
            if (!_adjusted)
            {
                try
                {
                    _base = int.Parse(File.ReadAllText(path).Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
                {
                    log.Warning($"Unable to read oom_score_adj: {OsError.Describe(e)}");
                    return false;
                }

                _adjusted = true;
            }

            var values = config.Store.Get(ConfigCatalog.ByName["oom-score-adj-values"]).Split(' ');
            value = int.Parse(values[replica ? 1 : 0], CultureInfo.InvariantCulture);
            if (mode != "absolute")
            {
                value += _base;
            }

            value = Math.Clamp(value, -1000, 1000);
        }
        else if (_adjusted)
        {
            _adjusted = false;
            value = _base;
        }
        else
        {
            return true;
        }

        try
        {
            File.WriteAllText(path, value.ToString(CultureInfo.InvariantCulture) + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning($"Unable to write oom_score_adj: {OsError.Describe(e)}");
            return false;
        }

        return true;
    }
}
