using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public class DifferentialSmokeTests : IClassFixture<DifferentialPair>
{
    private readonly DifferentialPair _pair;

    public DifferentialSmokeTests(DifferentialPair pair)
    {
        _pair = pair;
    }

    [Fact]
    public Task BasicStringRepliesMatchRedis() => _pair.AssertSameRepliesAsync(
        ["SET", "k", "v"],
        ["GET", "k"],
        ["GET", "nokey"],
        ["SET", "bin", "a\r\nb\0c"],
        ["GET", "bin"],
        ["GET"],
        ["nosuchcommand", "x", "y"],
        ["PING"],
        ["PING", "hello"],
        ["ECHO", "e"],
        ["SELECT", "99"],
        ["SELECT", "x"]);
}
