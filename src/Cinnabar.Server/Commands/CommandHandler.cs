namespace Cinnabar.Server.Commands;

/// <summary>A command implementation. It writes its reply through the context.</summary>
internal delegate void CommandHandler(CommandContext ctx);
