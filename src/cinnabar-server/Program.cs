// cinnabar-server: the same command line as redis-server.
//
// Socket completions run inline on the runtime's epoll thread instead of being queued to the
// thread pool. All command execution is serialized by the executor gate anyway, so the hop to a
// pool thread only added a context switch per read (measured: ~25% less server CPU per request
// at -P 1, see bench/RESULTS.md). This makes the epoll thread Redis's event loop: nothing running
// on it may block waiting for another socket operation. Must be set before the first socket
// operation (the runtime reads it once); an explicit setting in the environment wins.
const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
{
    Environment.SetEnvironmentVariable(InlineCompletions, "1");
}

return Cinnabar.Server.Hosting.Startup.Run(args);
