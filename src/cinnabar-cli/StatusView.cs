namespace Cinnabar.Cli;

internal static class StatusView
{
    public static int Run(CliSession session) => session is null ? 1 : 1;
}
