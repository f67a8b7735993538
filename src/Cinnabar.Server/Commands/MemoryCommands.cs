// MEMORY (object.c memoryCommand). Registered: MEMORY USAGE|PURGE|HELP.
// USAGE estimates the bytes a key costs here (the managed objects and arrays behind it, plus the
// slot), which is what the command means; the numbers are Cinnabar's, not jemalloc's.
// PURGE is Redis's "give dirty pages back" (jemalloc's arena purge); here the equivalent is a
// full compacting collection that returns free heap memory to the operating system, then the
// same for the native heap under the runtime (glibc's malloc_trim, see NativeHeap).
using System.Runtime.CompilerServices;

using Cinnabar.Protocol;
using Cinnabar.Server.Diagnostics;
using Cinnabar.Server.Storage;
using Cinnabar.Server.Storage.Types;

namespace Cinnabar.Server.Commands;

/// <summary>MEMORY introspection.</summary>
internal static class MemoryCommands
{
    private const int ObjectHeader = 16;
    private const int ArrayHeader = 24;
    private const int SlotSize = 24;

    public static void Register(CommandTable t)
    {
        var mem = t.Add("memory", -2, CommandFlags.None, 0, 0, 0, null, "server", "4.0.0", "", "A container for memory diagnostics commands");
        mem.AddSubcommand(new CommandSpec("usage", -3, CommandFlags.ReadOnly, 2, 2, 1, Usage)
        {
            Group = "server",
            Since = "4.0.0",
            AclCategories = ["read", "slow"],
            Summary = "Estimate the memory usage of a key",
            KeySpecs = [new KeySpec("RO", 2, 0)],
        });
        mem.AddSubcommand(new CommandSpec("purge", 2, CommandFlags.None, 0, 0, 0, Purge)
        {
            Group = "server",
            Since = "4.0.0",
            AclCategories = ["slow"],
            Summary = "Ask the allocator to release memory",
            Tips = ["request_policy:all_shards", "response_policy:all_succeeded"],
        });
        mem.AddSubcommand(new CommandSpec("help", 2, CommandFlags.Loading | CommandFlags.Stale, 0, 0, 0, Help)
        {
            Group = "server",
            Since = "4.0.0",
            AclCategories = ["slow"],
            Summary = "Show helpful text about the different subcommands",
        });
    }

    // MEMORY USAGE key [SAMPLES count]
    private static void Usage(CommandContext ctx)
    {
        for (int j = 3; j < ctx.Args.Count; j++)
        {
            if (ctx.Args.Is(j, "samples"u8) && j + 1 < ctx.Args.Count)
            {
                if (!Number.TryParseInt64(ctx.Args[j + 1], out long samples))
                {
                    ctx.Error(Errors.NotInteger);
                    return;
                }

                if (samples < 0)
                {
                    ctx.Error(Errors.Syntax);
                    return;
                }

                j++;
            }
            else
            {
                ctx.Error(Errors.Syntax);
                return;
            }
        }

        // Redis reads the dict directly: no expiry, no stats.
        ref Slot s = ref ctx.Db.FindRaw(ctx.Args[2]);
        if (Unsafe.IsNullRef(ref s))
        {
            ctx.Reply.NullBulk();
            return;
        }

        ctx.Reply.Integer(SlotSize + Estimate(s.Data!));
    }

    // MEMORY PURGE
    private static void Purge(CommandContext ctx)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        NativeHeap.Trim();
        ctx.Reply.Ok();
    }

    // MEMORY HELP
    private static void Help(CommandContext ctx) => Replies.Help(ctx,
    [
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
    ]);

    private static long Estimate(object data) => data switch
    {
        byte[] b => ArrayHeader + b.Length,

        // Fields (this, used, count) plus the arrays, which hold the key.
        ZSetValue z => ObjectHeader + 16 + z.ApproximateBytes,
        HashValue h => ObjectHeader + 16 + h.ApproximateBytes,
        RedisObject o => ObjectHeader + 8 + ArrayHeader + o.Key.Length + o switch
        {
            RawString r => ArrayHeader + r.Buffer.Length,
            ListValue l => l.ApproximateBytes,
            SetValue s => s.ApproximateBytes,
            _ => 0,
        },
        _ => 0,
    };
}
