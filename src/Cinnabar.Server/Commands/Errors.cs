// Redis's error replies, in one place, byte for byte (server.c createSharedObjects and friends).
namespace Cinnabar.Server.Commands;

/// <summary>Error texts (without the leading '-').</summary>
internal static class Errors
{
    public const string WrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";
    public const string Syntax = "ERR syntax error";
    public const string NotInteger = "ERR value is not an integer or out of range";
    public const string NotFloat = "ERR value is not a valid float";
    public const string NoSuchKey = "ERR no such key";

    /// <summary>disconnectAllBlockedClients: a primary turned replica ends every block with this (then closes the client).</summary>
    public const string UnblockedRoleChange = "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)";
    public const string OutOfRange = "ERR index out of range";
    public const string NoAuth = "NOAUTH Authentication required.";
    public const string WrongPass = "WRONGPASS invalid username-password pair or user is disabled.";
    public const string DbIndexOutOfRange = "ERR DB index is out of range";
    public const string InvalidDbIndex = "ERR invalid DB index";
    public const string Overflow = "ERR increment or decrement would overflow";
    public const string ReadOnlyReplica = "READONLY You can't write against a read only replica.";
    public const string MasterDown = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
    public const string Loading = "LOADING Redis is loading the dataset in memory";
    public const string ExecAbort = "EXECABORT Transaction discarded because of previous errors.";
    public const string BusyKey = "BUSYKEY Target key name already exists.";
    public const string NoReplicas = "NOREPLICAS Not enough good replicas to write.";
    public const string NotAllowedInMulti = "ERR Command not allowed inside a transaction";

    /// <summary>server.c writeCommandsGetDiskErrorMessage for a failed RDB save.</summary>
    public const string Misconf = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";
    public const string MultiNested = "ERR MULTI calls can not be nested";
    public const string ExecWithoutMulti = "ERR EXEC without MULTI";
    public const string DiscardWithoutMulti = "ERR DISCARD without MULTI";
    public const string WatchInMulti = "ERR WATCH inside MULTI is not allowed";
    public const string StringTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
    public const string InvalidExpire = "ERR invalid expire time in '{0}' command";
    public const string SameObject = "ERR source and destination objects are the same";
    public const string OffsetOutOfRange = "ERR offset is out of range";
    public const string DecrementOverflow = "ERR decrement would overflow";
    public const string NaNOrInfinity = "ERR increment would produce NaN or Infinity";
    public const string LcsNotStrings = "ERR The specified keys must contain string values";
    public const string LcsLenAndIdx = "ERR If you want both the length and indexes, please just use IDX.";
    public const string LcsExceedsBulkLen = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
    public const string LcsAllocationFailed = "ERR Insufficient memory, failed allocating transient memory for LCS";
    public const string IntOutOfRange = "ERR value is out of range, value must between -2147483648 and 2147483647";
    public const string ZMinMaxNotFloat = "ERR min or max is not a float";
    public const string ZMinMaxNotLex = "ERR min or max not valid string range item";
    public const string InvalidCursor = "ERR invalid cursor";
    public const string SortScoresNotDoubles = "ERR One or more scores can't be converted into double";
    public const string ExpireNxConflict = "ERR NX and XX, GT or LT options at the same time are not compatible";
    public const string ExpireGtLtConflict = "ERR GT and LT options at the same time are not compatible";
    public const string InvalidFirstDbIndex = "ERR invalid first DB index";
    public const string InvalidSecondDbIndex = "ERR invalid second DB index";
    public const string LfuNotSelected = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
    public const string LfuSelected = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
    public const string NoPasswordSet = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";

    /// <summary>ERR wrong number of arguments for 'name' command</summary>
    public static string Arity(string fullName) => $"ERR wrong number of arguments for '{fullName}' command";

    /// <summary>ERR unknown subcommand 'x'. Try CONTAINER HELP.</summary>
    public static string UnknownSubcommand(string sub, string container) =>
        $"ERR unknown subcommand '{Truncate(sub, 128)}'. Try {container.ToUpperInvariant()} HELP.";

    /// <summary>Truncates like printf's %.Ns.</summary>
    public static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}
