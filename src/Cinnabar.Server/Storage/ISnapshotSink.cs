namespace Cinnabar.Server.Storage;

/// <summary>
/// Receives the point-in-time entries of a captured key table (KeyTable.BeginCapture): called
/// on the executor, once per key, before the key can change. It must copy what it needs, since
/// the slot changes right after the call.
/// </summary>
internal interface ISnapshotSink
{
    void Add(int db, object data, long expire);
}
