using Cinnabar.Server.Hosting;
using Cinnabar.Server.Tests.Infrastructure;

namespace Cinnabar.Server.Tests;

public sealed class OomScoreAdjusterTests : IDisposable
{
    private readonly string _file = Path.GetTempFileName();

    public void Dispose() => File.Delete(_file);

    [Fact]
    public void RelativeScoresAddToTheScoreBeforeTheFirstAdjustmentAndOffRestoresIt()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var h = new ServerHarness();
        var oom = new OomScoreAdjuster(_file);
        File.WriteAllText(_file, "22\n");

        // Off and never adjusted: the file is left alone.
        Assert.True(oom.Apply(h.Server.Config, replica: false, h.Server.Log));
        Assert.Equal("22\n", File.ReadAllText(_file));

        h.Run("CONFIG", "SET", "oom-score-adj-values", "9 20 30", "oom-score-adj", "yes");
        Assert.True(oom.Apply(h.Server.Config, replica: false, h.Server.Log));
        Assert.Equal("31\n", File.ReadAllText(_file));
        Assert.True(oom.Apply(h.Server.Config, replica: true, h.Server.Log));
        Assert.Equal("42\n", File.ReadAllText(_file));

        h.Run("CONFIG", "SET", "oom-score-adj", "absolute");
        Assert.True(oom.Apply(h.Server.Config, replica: false, h.Server.Log));
        Assert.Equal("9\n", File.ReadAllText(_file));

        h.Run("CONFIG", "SET", "oom-score-adj", "no");
        Assert.True(oom.Apply(h.Server.Config, replica: false, h.Server.Log));
        Assert.Equal("22\n", File.ReadAllText(_file));
    }

    [Fact]
    public void ScoresAreClampedToTheKernelRange()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var h = new ServerHarness();
        var oom = new OomScoreAdjuster(_file);
        File.WriteAllText(_file, "500\n");
        h.Run("CONFIG", "SET", "oom-score-adj-values", "2000 -2000 0", "oom-score-adj", "relative");
        Assert.True(oom.Apply(h.Server.Config, replica: false, h.Server.Log));
        Assert.Equal("1000\n", File.ReadAllText(_file));
        Assert.True(oom.Apply(h.Server.Config, replica: true, h.Server.Log));
        Assert.Equal("-1000\n", File.ReadAllText(_file));
    }
}
