using Cinnabar.Server.Execution;

namespace Cinnabar.Server.Tests.Infrastructure;

internal static class CronExtensions
{
    /// <summary>A cron bound to the harness server, ticked under the gate.</summary>
    public static CronTicker Cron(this CinnabarServer server) => new(server);

    internal sealed class CronTicker(CinnabarServer server)
    {
        public void Tick()
        {
            var cron = new ServerCron(server);
            lock (server.Gate)
            {
                cron.Tick();
            }
        }
    }
}
