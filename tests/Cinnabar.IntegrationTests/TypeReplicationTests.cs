// Every data type through replication, in the three pairings that involve Cinnabar: Cinnabar to
// Cinnabar, a real redis-server 7.0.15 replica of Cinnabar, and Cinnabar replicating a real
// redis-server. The dataset written before the replica attaches travels in the full sync's RDB
// (every encoding: small and large lists, listpack and hashtable hashes, intset and hashtable
// sets, listpack and skiplist sorted sets, TTLs, several databases); the commands written afterwards travel in the stream,
// including the ones Redis rewrites for replication (SPOP, HINCRBYFLOAT, ZMPOP, blocking pops
// served by a push, SORT ... STORE, MULTI/EXEC). Both sides must end with the same DEBUG DIGEST.
using Cinnabar.IntegrationTests.Infrastructure;

namespace Cinnabar.IntegrationTests;

public class TypeReplicationTests
{
    public static TheoryData<ServerKind, ServerKind> Pairings => new()
    {
        { ServerKind.Cinnabar, ServerKind.Cinnabar },
        { ServerKind.Cinnabar, ServerKind.Redis },
        { ServerKind.Redis, ServerKind.Cinnabar },
    };

    private static async Task WriteDatasetAsync(RawConnection c)
    {
        await c.CommandAsync("RPUSH", "list:small", "a", "b", "c", "1", "-20", "300000");
        var big = Enumerable.Range(0, 300).Select(i => $"element-{i}-" + new string('x', i % 90)).ToArray();
        await c.CommandAsync(["RPUSH", "list:big", .. big]);
        await c.CommandAsync("HSET", "hash:small", "f1", "v1", "f2", "2", "f3", "3.5");
        var fields = Enumerable.Range(0, 200).SelectMany(i => new[] { $"field{i}", $"value{i}" }).ToArray();
        await c.CommandAsync(["HSET", "hash:big", .. fields]);
        await c.CommandAsync("HSET", "hash:longvalue", "f", new string('v', 100));
        await c.CommandAsync("SADD", "set:ints", "1", "2", "3", "-9", "1000000");
        await c.CommandAsync("SADD", "set:strings", "a", "b", "c", "d");
        var ints = Enumerable.Range(0, 600).Select(i => (i * 7).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        await c.CommandAsync(["SADD", "set:manyints", .. ints]);
        await c.CommandAsync("ZADD", "zset:small", "1", "a", "2.5", "b", "-3", "c", "inf", "top");
        var scored = Enumerable.Range(0, 200).SelectMany(i => new[] { (i * 0.5).ToString(System.Globalization.CultureInfo.InvariantCulture), $"member{i}" }).ToArray();
        await c.CommandAsync(["ZADD", "zset:big", .. scored]);
        await c.CommandAsync("RPUSH", "list:ttl", "x", "y");
        await c.CommandAsync("PEXPIRE", "list:ttl", "90000000");
        await c.CommandAsync("SET", "string:ttl", "v", "EX", "100000");
        await c.CommandAsync("SELECT", "4");
        await c.CommandAsync("HSET", "db4:hash", "a", "1");
        await c.CommandAsync("SADD", "db4:set", "x");
        await c.CommandAsync("SELECT", "0");
    }

    private static async Task WriteStreamAsync(RawConnection c, RawConnection blocker)
    {
        // Lists.
        await c.CommandAsync("LPUSH", "list:small", "head");
        await c.CommandAsync("RPOP", "list:small");
        await c.CommandAsync("LINSERT", "list:small", "BEFORE", "b", "inserted");
        await c.CommandAsync("LSET", "list:small", "0", "replaced");
        await c.CommandAsync("LREM", "list:big", "0", "element-7-xxxxxxx");
        await c.CommandAsync("LTRIM", "list:big", "1", "250");
        await c.CommandAsync("LMOVE", "list:big", "list:moved", "LEFT", "RIGHT");
        await c.CommandAsync("LMPOP", "2", "nothing", "list:big", "RIGHT", "COUNT", "3");

        // A blocking pop served by a push is replicated as the push and the non-blocking pop.
        var pending = blocker.CommandAsync("BLPOP", "queue", "0");
        await ReplicationNode.WaitForAsync(
            async () => await ReplicationNode.InfoNumberAsync(c, "clients", "blocked_clients") == 1, "the BLPOP to block");
        await c.CommandAsync("RPUSH", "queue", "job1", "job2");
        Assert.Contains("job1", await pending, StringComparison.Ordinal);
        var pendingMove = blocker.CommandAsync("BLMOVE", "queue2", "list:moved", "RIGHT", "LEFT", "0");
        await ReplicationNode.WaitForAsync(
            async () => await ReplicationNode.InfoNumberAsync(c, "clients", "blocked_clients") == 1, "the BLMOVE to block");
        await c.CommandAsync("LPUSH", "queue2", "moved-by-blmove");
        Assert.Contains("moved-by-blmove", await pendingMove, StringComparison.Ordinal);

        // Hashes.
        await c.CommandAsync("HSET", "hash:small", "f4", "four");
        await c.CommandAsync("HINCRBY", "hash:small", "f2", "40");
        await c.CommandAsync("HINCRBYFLOAT", "hash:small", "f3", "0.25");
        await c.CommandAsync("HINCRBYFLOAT", "hash:big", "float", "1e3");
        await c.CommandAsync("HDEL", "hash:big", "field0", "field1");
        await c.CommandAsync("HSETNX", "hash:small", "f1", "ignored");

        // Sets: SPOP and its count form are rewritten (SREM / DEL), whatever members they pick.
        await c.CommandAsync("SADD", "set:strings", "e", "f", "g");
        await c.CommandAsync("SREM", "set:strings", "a");
        await c.CommandAsync("SPOP", "set:strings");
        await c.CommandAsync("SPOP", "set:manyints", "5");
        await c.CommandAsync("SPOP", "set:ints", "100");
        await c.CommandAsync("SMOVE", "set:strings", "set:other", "b");
        await c.CommandAsync("SADD", "set:a", "1", "2", "3", "x");
        await c.CommandAsync("SADD", "set:b", "2", "3", "4", "x");
        await c.CommandAsync("SINTERSTORE", "set:inter", "set:a", "set:b");
        await c.CommandAsync("SUNIONSTORE", "set:union", "set:a", "set:b");
        await c.CommandAsync("SDIFFSTORE", "set:diff", "set:a", "set:b");

        // Sorted sets: pops and the blocking forms are rewritten to ZPOPMIN/ZPOPMAX.
        await c.CommandAsync("ZADD", "zset:small", "INCR", "10", "a");
        await c.CommandAsync("ZINCRBY", "zset:big", "0.125", "member3");
        await c.CommandAsync("ZREM", "zset:big", "member0");
        await c.CommandAsync("ZREMRANGEBYSCORE", "zset:big", "90", "(95");
        await c.CommandAsync("ZPOPMIN", "zset:big", "2");
        await c.CommandAsync("ZMPOP", "1", "zset:big", "MAX", "COUNT", "3");
        await c.CommandAsync("ZUNIONSTORE", "zset:union", "2", "zset:small", "set:a", "WEIGHTS", "2", "1");
        await c.CommandAsync("ZRANGESTORE", "zset:range", "zset:big", "0", "9");
        var pendingZ = blocker.CommandAsync("BZPOPMIN", "zqueue", "0");
        await ReplicationNode.WaitForAsync(
            async () => await ReplicationNode.InfoNumberAsync(c, "clients", "blocked_clients") == 1, "the BZPOPMIN to block");
        await c.CommandAsync("ZADD", "zqueue", "5", "z5", "1", "z1");
        Assert.Contains("z1", await pendingZ, StringComparison.Ordinal);
        await c.CommandAsync("SORT", "zset:small", "BY", "nosort", "STORE", "sorted:zset");

        // SORT ... STORE, keys moving, TTLs, transactions and other databases.
        await c.CommandAsync("RPUSH", "nums", "3", "10", "1", "22");
        await c.CommandAsync("SORT", "nums", "DESC", "STORE", "sorted");
        await c.CommandAsync("SORT", "set:strings", "ALPHA", "LIMIT", "0", "2", "STORE", "sorted:alpha");
        await c.CommandAsync("EXPIRE", "hash:small", "100000");
        await c.CommandAsync("PERSIST", "list:ttl");
        await c.CommandAsync("RENAME", "set:union", "set:renamed");
        await c.CommandAsync("COPY", "hash:big", "hash:copy");
        await c.CommandAsync("DEL", "set:diff");
        await c.CommandAsync("MULTI");
        await c.CommandAsync("RPUSH", "tx:list", "1");
        await c.CommandAsync("HSET", "tx:hash", "k", "v");
        await c.CommandAsync("SADD", "tx:set", "m");
        await c.CommandAsync("SPOP", "tx:set");
        await c.CommandAsync("EXEC");
        await c.CommandAsync("SELECT", "4");
        await c.CommandAsync("HSET", "db4:hash", "b", "2");
        await c.CommandAsync("MOVE", "db4:set", "9");
        await c.CommandAsync("SELECT", "0");
    }

    [Theory]
    [MemberData(nameof(Pairings))]
    public async Task EveryTypeReachesTheReplicaThroughTheFullSyncAndTheStreamWithEqualDigests(ServerKind primaryKind, ServerKind replicaKind)
    {
        await using var primary = await ReplicationNode.StartAsync(primaryKind);
        await using var p = await primary.ConnectAsync();
        await using var blocker = await primary.ConnectAsync();
        await WriteDatasetAsync(p);

        await using var replica = await ReplicationNode.StartAsync(replicaKind, $"replicaof 127.0.0.1 {primary.Port}");
        await replica.WaitForLinkUpAsync();
        await using var r = await replica.ConnectAsync();
        await WaitForSameDigestAsync(p, r, "after the full sync");
        Assert.Equal(await p.CommandAsync("LRANGE", "list:big", "0", "-1"), await r.CommandAsync("LRANGE", "list:big", "0", "-1"));
        Assert.Equal(await p.CommandAsync("OBJECT", "ENCODING", "hash:big"), await r.CommandAsync("OBJECT", "ENCODING", "hash:big"));
        Assert.Equal(await p.CommandAsync("OBJECT", "ENCODING", "set:ints"), await r.CommandAsync("OBJECT", "ENCODING", "set:ints"));
        Assert.Equal(await p.CommandAsync("OBJECT", "ENCODING", "zset:big"), await r.CommandAsync("OBJECT", "ENCODING", "zset:big"));
        Assert.Equal(await p.CommandAsync("ZRANGE", "zset:small", "0", "-1", "WITHSCORES"), await r.CommandAsync("ZRANGE", "zset:small", "0", "-1", "WITHSCORES"));

        await WriteStreamAsync(p, blocker);
        await WaitForSameDigestAsync(p, r, "after the stream");
        Assert.Equal(await p.CommandAsync("SORT_RO", "set:inter", "ALPHA"), await r.CommandAsync("SORT_RO", "set:inter", "ALPHA"));
        Assert.Equal(await p.CommandAsync("LRANGE", "sorted", "0", "-1"), await r.CommandAsync("LRANGE", "sorted", "0", "-1"));
        Assert.Equal(await p.CommandAsync("HGET", "hash:small", "f3"), await r.CommandAsync("HGET", "hash:small", "f3"));
        await ReplicationNode.WaitForAsync(
            async () => await ReplicationNode.InfoNumberAsync(p, "replication", "master_repl_offset")
                == await ReplicationNode.InfoNumberAsync(r, "replication", "slave_repl_offset"),
            "equal offsets");
    }

    private static async Task WaitForSameDigestAsync(RawConnection primary, RawConnection replica, string when)
    {
        await ReplicationNode.WaitForAsync(
            async () => await primary.CommandAsync("DEBUG", "DIGEST") == await replica.CommandAsync("DEBUG", "DIGEST"),
            $"equal DEBUG DIGEST {when}");
    }
}
