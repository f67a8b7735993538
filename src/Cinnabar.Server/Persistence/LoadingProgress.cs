// What INFO persistence shows while a dataset loads (Redis's startLoading, loadingAbsProgress and
// the loading_* block of genRedisInfoString): when it started, how many bytes the source has and
// how many were read, the used-mem the RDB recorded, and an estimate of the time left.
using System.Globalization;
using System.Text;

namespace Cinnabar.Server.Persistence;

/// <summary>Progress figures of the load in progress.</summary>
internal sealed class LoadingProgress
{
    /// <summary>loading_start_time: unix seconds.</summary>
    public long StartTime { get; private set; }

    /// <summary>loading_total_bytes: the file's size (0 when unknown).</summary>
    public long TotalBytes { get; private set; }

    /// <summary>loading_rdb_used_mem: the used-mem AUX field, once read.</summary>
    public long RdbUsedMem { get; set; }

    /// <summary>loading_loaded_bytes: bytes read so far (updated every loading-process-events-interval-bytes).</summary>
    public long LoadedBytes { get; set; }

    /// <summary>rdb_last_load_keys_loaded: keys the last (or current) load has put in so far.</summary>
    public long LastLoadKeysLoaded { get; set; }

    /// <summary>rdb_last_load_keys_expired: keys the last (or current) load dropped as already expired.</summary>
    public long LastLoadKeysExpired { get; set; }

    /// <summary>Resets the figures for a new load (startLoading).</summary>
    public void Start(long nowSeconds, long totalBytes)
    {
        StartTime = nowSeconds;
        TotalBytes = totalBytes;
        RdbUsedMem = 0;
        LoadedBytes = 0;
        LastLoadKeysLoaded = 0;
        LastLoadKeysExpired = 0;
    }

    /// <summary>The loading_* INFO lines, computed as Redis does (percentage and ETA).</summary>
    public void AppendInfo(StringBuilder sb, long nowSeconds)
    {
        double perc = 0;
        long remaining = 1;
        if (TotalBytes != 0)
        {
            perc = (double)LoadedBytes / TotalBytes * 100;
            remaining = TotalBytes - LoadedBytes;
        }
        else if (RdbUsedMem != 0)
        {
            // used-mem is only a rough estimate of the size: never claim 100%.
            perc = Math.Min((double)LoadedBytes / RdbUsedMem * 100, 99.99);
            remaining = Math.Max(RdbUsedMem - LoadedBytes, 1);
        }

        long elapsed = nowSeconds - StartTime;
        long eta = elapsed == 0 ? 1 : elapsed * remaining / (LoadedBytes + 1);
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"loading_start_time:{StartTime}\r\n");
        sb.Append(inv, $"loading_total_bytes:{TotalBytes}\r\n");
        sb.Append(inv, $"loading_rdb_used_mem:{RdbUsedMem}\r\n");
        sb.Append(inv, $"loading_loaded_bytes:{LoadedBytes}\r\n");
        sb.Append(inv, $"loading_loaded_perc:{perc:0.00}\r\n");
        sb.Append(inv, $"loading_eta_seconds:{eta}\r\n");
    }
}
