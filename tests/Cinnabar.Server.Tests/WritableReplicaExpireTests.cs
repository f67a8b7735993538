using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

public class WritableReplicaExpireTests
{
    [Fact]
    public void AWritableReplicaExpiresKeysItsOwnClientsGaveATtl()
    {
        var h = new ServerHarness(c => c.ReplicaReadOnly = false);
        h.Server.IsReplica = true;
        var primary = h.NewClient();
        primary.IsPrimaryLink = true;
        h.Run(primary, "SET", "fromprimary", "v");
        h.Run(primary, "PEXPIRE", "fromprimary", "10");
        h.Run("SET", "local", "v");
        h.Run("PEXPIRE", "local", "10");
        Assert.Equal(1, h.Server.ActiveExpiry.ReplicaKeysWithExpire);

        h.Time.Advance(TimeSpan.FromMilliseconds(11));
        h.Server.Cron().Tick();
        lock (h.Server.Gate)
        {
            Assert.True(System.Runtime.CompilerServices.Unsafe.IsNullRef(ref h.Server.Databases[0].FindRaw("local"u8)));
            Assert.False(System.Runtime.CompilerServices.Unsafe.IsNullRef(ref h.Server.Databases[0].FindRaw("fromprimary"u8)));
        }

        Assert.Equal(0, h.Server.ActiveExpiry.ReplicaKeysWithExpire);
    }

    [Fact]
    public void AReadOnlyReplicaTracksNothing()
    {
        var h = new ServerHarness();
        h.Run("SET", "k", "v");
        h.Server.IsReplica = true;
        var primary = h.NewClient();
        primary.IsPrimaryLink = true;
        h.Run(primary, "PEXPIRE", "k", "10");
        Assert.Equal(0, h.Server.ActiveExpiry.ReplicaKeysWithExpire);
    }

    [Fact]
    public void FlushallForgetsTrackedReplicaKeys()
    {
        var h = new ServerHarness(c => c.ReplicaReadOnly = false);
        h.Server.IsReplica = true;
        h.Run("SET", "local", "v");
        h.Run("PEXPIRE", "local", "100000");
        h.Run("FLUSHALL");
        Assert.Equal(0, h.Server.ActiveExpiry.ReplicaKeysWithExpire);
    }
}
