// RDB opcode and type ids (rdb.h): frozen by golden tests, since files written by Redis use them.
namespace Cinnabar.Server.Persistence.Rdb;

/// <summary>Redis's RDB opcodes and value type ids.</summary>
internal static class RdbFormat
{
    public const int Function2 = 245;
    public const int FunctionPreGa = 246;
    public const int ModuleAux = 247;
    public const int Idle = 248;
    public const int Freq = 249;
    public const int Aux = 250;
    public const int ResizeDb = 251;
    public const int ExpireTimeMs = 252;
    public const int ExpireTime = 253;
    public const int SelectDb = 254;
    public const int Eof = 255;

    public const int TypeString = 0;
    public const int TypeList = 1;
    public const int TypeSet = 2;
    public const int TypeZSet = 3;
    public const int TypeHash = 4;
    public const int TypeZSet2 = 5;
    public const int TypeHashZipmap = 9;
    public const int TypeListZiplist = 10;
    public const int TypeSetIntset = 11;
    public const int TypeZSetZiplist = 12;
    public const int TypeHashZiplist = 13;
    public const int TypeListQuicklist = 14;
    public const int TypeHashListpack = 16;
    public const int TypeZSetListpack = 17;
    public const int TypeListQuicklist2 = 18;
    public const int TypeSetListpack = 20;

    /// <summary>Quicklist-2 node containers (quicklist.h).</summary>
    public const int QuicklistNodePlain = 1;
    public const int QuicklistNodePacked = 2;

    /// <summary>Lowest and highest RDB versions the reader accepts.</summary>
    public const int MinVersion = 1;
    public const int MaxVersion = 12;

    /// <summary>The names Redis's rdb.h gives the value type ids (redis-check-rdb's rdb_type_string).</summary>
    public static string TypeName(int type) => type switch
    {
        0 => "string",
        1 => "list-linked",
        2 => "set-hashtable",
        3 => "zset-v1",
        4 => "hash-hashtable",
        5 => "zset-v2",
        6 => "module-pre-release",
        7 => "module-value",
        9 => "hash-zipmap",
        10 => "list-ziplist",
        11 => "set-intset",
        12 => "zset-ziplist",
        13 => "hash-ziplist",
        14 => "quicklist",
        15 => "stream",
        16 => "hash-listpack",
        17 => "zset-listpack",
        18 => "quicklist-v2",
        19 => "stream-v2",
        20 => "set-listpack",
        21 => "stream-v3",
        _ => "unknown",
    };
}
