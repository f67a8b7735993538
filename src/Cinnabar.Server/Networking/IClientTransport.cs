namespace Cinnabar.Server.Networking;

/// <summary>What the executor needs from a client's connection: flush replies written by others, and close.</summary>
internal interface IClientTransport
{
    /// <summary>Asks the connection to send what is in the client's output buffer (called under the executor lock).</summary>
    void RequestFlush();

    /// <summary>Closes the connection (CLIENT KILL, timeouts, shutdown).</summary>
    void Close();
}
