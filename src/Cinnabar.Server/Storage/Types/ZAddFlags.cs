namespace Cinnabar.Server.Storage.Types;

/// <summary>ZADD's input options (zsetAdd's in_flags).</summary>
[Flags]
internal enum ZAddFlags
{
    None = 0,
    Incr = 1,
    Nx = 2,
    Xx = 4,
    Gt = 8,
    Lt = 16,
}
