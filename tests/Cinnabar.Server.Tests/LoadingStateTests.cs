using System.Text;

using Cinnabar.Server.Persistence;
using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

public class LoadingStateTests
{
    [Fact]
    public void ProgressWithAKnownSizeGivesRedisPercentageAndEta()
    {
        var p = new LoadingProgress();
        p.Start(1000, 200);
        p.LoadedBytes = 50;
        var sb = new StringBuilder();
        p.AppendInfo(sb, 1010);
        Assert.Equal("loading_start_time:1000\r\nloading_total_bytes:200\r\nloading_rdb_used_mem:0\r\nloading_loaded_bytes:50\r\nloading_loaded_perc:25.00\r\nloading_eta_seconds:29\r\n", sb.ToString());
    }

    [Fact]
    public void ProgressFromUsedMemoryNeverClaimsAHundredPercentAndTheFirstSecondHasAnEtaOfOne()
    {
        var p = new LoadingProgress();
        p.Start(1000, 0);
        p.RdbUsedMem = 100;
        p.LoadedBytes = 500;
        var sb = new StringBuilder();
        p.AppendInfo(sb, 1000);
        Assert.Contains("loading_loaded_perc:99.99\r\n", sb.ToString());
        Assert.Contains("loading_eta_seconds:1\r\n", sb.ToString());
    }

    [Fact]
    public void WhileLoadingOnlyCommandsWithTheLoadingFlagRun()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v");
        h.Server.Loading = true;
        h.Server.LoadingProgress.Start(h.Server.NowMs / 1000, 1234);
        Assert.Equal("-LOADING Redis is loading the dataset in memory\r\n", h.Run("GET", "k"));
        Assert.Equal("-LOADING Redis is loading the dataset in memory\r\n", h.Run("PING"));
        Assert.Equal("$5\r\nhello\r\n", h.Run("ECHO", "hello"));
        string info = h.Run("INFO", "persistence");
        Assert.Contains("loading:1\r\n", info);
        Assert.Contains("loading_total_bytes:1234\r\n", info);
        Assert.Equal("+OK\r\n", h.Run("MULTI"));
        Assert.Equal("-LOADING Redis is loading the dataset in memory\r\n", h.Run("GET", "k"));
        Assert.Equal("-EXECABORT Transaction discarded because of previous errors.\r\n", h.Run("EXEC"));
        h.Server.Loading = false;
        Assert.Equal("$1\r\nv\r\n", h.Run("GET", "k"));
        Assert.DoesNotContain("loading_total_bytes", h.Run("INFO", "persistence"));
    }

    [Fact]
    public void DebugReloadRefusesUnknownOptionsBeforeSaving()
    {
        var h = new ServerHarness(c => c.EnableDebugCommand = "yes");
        long saves = h.Server.Snapshots.Saves;
        Assert.Equal("-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n", h.Run("DEBUG", "RELOAD", "MERGE", "NOW"));
        Assert.Equal(saves, h.Server.Snapshots.Saves);
    }

    [Fact]
    public void DuringAnAsyncLoadTheOldDataServesAndOnlyNoAsyncLoadingCommandsAreRefused()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v");
        h.Server.AsyncLoading = true;
        const string loading = "-LOADING Redis is loading the dataset in memory\r\n";
        Assert.Equal("$1\r\nv\r\n", h.Run("GET", "k"));
        Assert.Equal("+OK\r\n", h.Run("SET", "k2", "v2"));
        Assert.Equal(loading, h.Run("REPLICAOF", "NO", "ONE"));
        Assert.Equal(loading, h.Run("SAVE"));
        Assert.Equal(loading, h.Run("CONFIG", "SET", "repl-diskless-load", "disabled"));

        // Queued before the load started, a refused command makes EXEC refused too.
        h.Server.AsyncLoading = false;
        Assert.Equal("+OK\r\n", h.Run("MULTI"));
        Assert.Equal("+QUEUED\r\n", h.Run("BGSAVE"));
        h.Server.AsyncLoading = true;
        Assert.Equal("-EXECABORT Transaction discarded because of: LOADING Redis is loading the dataset in memory\r\n", h.Run("EXEC"));
        var info = h.Run("INFO", "persistence");
        Assert.Contains("loading:0\r\nasync_loading:1\r\n", info);
        Assert.Contains("loading_total_bytes:", info);
    }
}
