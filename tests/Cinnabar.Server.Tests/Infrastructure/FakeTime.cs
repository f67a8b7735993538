namespace Cinnabar.Server.Tests.Infrastructure;

/// <summary>A clock that moves only when a test advances it.</summary>
internal sealed class FakeTime : TimeProvider
{
    private DateTimeOffset _now = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    /// <summary>How far the clock moves after each reading (zero: only Advance moves it).</summary>
    public TimeSpan TickPerRead { get; set; }

    public override DateTimeOffset GetUtcNow()
    {
        var now = _now;
        _now += TickPerRead;
        return now;
    }

    public void Advance(TimeSpan by) => _now += by;

    public long NowMs => _now.ToUnixTimeMilliseconds();
}
