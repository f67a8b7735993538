// Key specifications and command tips of the list, hash, set and sorted-set commands, transcribed from
// Redis 7.0.15's command documentation (src/commands/*.json), so COMMAND INFO, COMMAND DOCS and
// COMMAND GETKEYSANDFLAGS describe them exactly as redis-server does. The numkeys commands
// (LMPOP, BLMPOP, SINTERCARD, ZMPOP, BZMPOP, ZUNION... ) carry theirs in their own rows.
namespace Cinnabar.Server.Commands;

/// <summary>Redis's key specs and tips for the collection commands.</summary>
internal static class CollectionCommandMeta
{
    private static readonly Dictionary<string, (KeySpec[] Specs, string[] Tips)> Rows = new()
    {
        ["lpush"] = ([new("RW insert", 1, 0)], []),
        ["rpush"] = ([new("RW insert", 1, 0)], []),
        ["lpushx"] = ([new("RW insert", 1, 0)], []),
        ["rpushx"] = ([new("RW insert", 1, 0)], []),
        ["lpop"] = ([new("RW access delete", 1, 0)], []),
        ["rpop"] = ([new("RW access delete", 1, 0)], []),
        ["llen"] = ([new("RO", 1, 0)], []),
        ["lrange"] = ([new("RO access", 1, 0)], []),
        ["lindex"] = ([new("RO access", 1, 0)], []),
        ["lset"] = ([new("RW update", 1, 0)], []),
        ["linsert"] = ([new("RW insert", 1, 0)], []),
        ["lrem"] = ([new("RW delete", 1, 0)], []),
        ["ltrim"] = ([new("RW delete", 1, 0)], []),
        ["lpos"] = ([new("RO access", 1, 0)], []),
        ["lmove"] = ([new("RW access delete", 1, 0), new("RW insert", 2, 0)], []),
        ["rpoplpush"] = ([new("RW access delete", 1, 0), new("RW insert", 2, 0)], []),
        ["blpop"] = ([new("RW access delete", 1, -2)], []),
        ["brpop"] = ([new("RW access delete", 1, -2)], []),
        ["brpoplpush"] = ([new("RW access delete", 1, 0), new("RW insert", 2, 0)], []),
        ["blmove"] = ([new("RW access delete", 1, 0), new("RW insert", 2, 0)], []),
        ["hset"] = ([new("RW update", 1, 0)], []),
        ["hmset"] = ([new("RW update", 1, 0)], []),
        ["hsetnx"] = ([new("RW insert", 1, 0)], []),
        ["hget"] = ([new("RO access", 1, 0)], []),
        ["hmget"] = ([new("RO access", 1, 0)], []),
        ["hdel"] = ([new("RW delete", 1, 0)], []),
        ["hlen"] = ([new("RO", 1, 0)], []),
        ["hstrlen"] = ([new("RO", 1, 0)], []),
        ["hexists"] = ([new("RO", 1, 0)], []),
        ["hkeys"] = ([new("RO access", 1, 0)], ["nondeterministic_output_order"]),
        ["hvals"] = ([new("RO access", 1, 0)], ["nondeterministic_output_order"]),
        ["hgetall"] = ([new("RO access", 1, 0)], ["nondeterministic_output_order"]),
        ["hincrby"] = ([new("RW access update", 1, 0)], []),
        ["hincrbyfloat"] = ([new("RW access update", 1, 0)], []),
        ["hrandfield"] = ([new("RO access", 1, 0)], ["nondeterministic_output"]),
        ["hscan"] = ([new("RO access", 1, 0)], ["nondeterministic_output"]),
        ["sadd"] = ([new("RW insert", 1, 0)], []),
        ["srem"] = ([new("RW delete", 1, 0)], []),
        ["scard"] = ([new("RO", 1, 0)], []),
        ["sismember"] = ([new("RO", 1, 0)], []),
        ["smismember"] = ([new("RO access", 1, 0)], []),
        ["smembers"] = ([new("RO access", 1, 0)], ["nondeterministic_output_order"]),
        ["spop"] = ([new("RW access delete", 1, 0)], ["nondeterministic_output"]),
        ["srandmember"] = ([new("RO access", 1, 0)], ["nondeterministic_output"]),
        ["smove"] = ([new("RW access delete", 1, 0), new("RW insert", 2, 0)], []),
        ["sinter"] = ([new("RO access", 1, -1)], ["nondeterministic_output_order"]),
        ["sinterstore"] = ([new("RW update", 1, 0), new("RO access", 2, -1)], []),
        ["sunion"] = ([new("RO access", 1, -1)], ["nondeterministic_output_order"]),
        ["sunionstore"] = ([new("OW update", 1, 0), new("RO access", 2, -1)], []),
        ["sdiff"] = ([new("RO access", 1, -1)], ["nondeterministic_output_order"]),
        ["sdiffstore"] = ([new("OW update", 1, 0), new("RO access", 2, -1)], []),
        ["sscan"] = ([new("RO access", 1, 0)], ["nondeterministic_output"]),
        ["zadd"] = ([new("RW update", 1, 0)], []),
        ["zincrby"] = ([new("RW access update", 1, 0)], []),
        ["zrem"] = ([new("RW delete", 1, 0)], []),
        ["zcard"] = ([new("RO", 1, 0)], []),
        ["zscore"] = ([new("RO access", 1, 0)], []),
        ["zmscore"] = ([new("RO access", 1, 0)], []),
        ["zrank"] = ([new("RO access", 1, 0)], []),
        ["zrevrank"] = ([new("RO access", 1, 0)], []),
        ["zcount"] = ([new("RO access", 1, 0)], []),
        ["zlexcount"] = ([new("RO access", 1, 0)], []),
        ["zremrangebyrank"] = ([new("RW delete", 1, 0)], []),
        ["zremrangebyscore"] = ([new("RW delete", 1, 0)], []),
        ["zremrangebylex"] = ([new("RW delete", 1, 0)], []),
        ["zpopmin"] = ([new("RW access delete", 1, 0)], []),
        ["zpopmax"] = ([new("RW access delete", 1, 0)], []),
        ["zrandmember"] = ([new("RO access", 1, 0)], ["nondeterministic_output"]),
        ["zscan"] = ([new("RO access", 1, 0)], ["nondeterministic_output"]),
        ["zrange"] = ([new("RO access", 1, 0)], []),
        ["zrangestore"] = ([new("OW update", 1, 0), new("RO access", 2, 0)], []),
        ["zrevrange"] = ([new("RO access", 1, 0)], []),
        ["zrangebyscore"] = ([new("RO access", 1, 0)], []),
        ["zrevrangebyscore"] = ([new("RO access", 1, 0)], []),
        ["zrangebylex"] = ([new("RO access", 1, 0)], []),
        ["zrevrangebylex"] = ([new("RO access", 1, 0)], []),
        ["bzpopmin"] = ([new("RW access delete", 1, -2)], []),
        ["bzpopmax"] = ([new("RW access delete", 1, -2)], []),
    };

    /// <summary>Attaches the specs and tips to the registered rows.</summary>
    public static void Apply(CommandTable t)
    {
        foreach (var (name, (specs, tips)) in Rows)
        {
            if (t.Lookup(name) is { } spec)
            {
                spec.KeySpecs = specs;
                spec.Tips = tips;
            }
        }
    }
}
