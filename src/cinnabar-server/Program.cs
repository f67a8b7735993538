// cinnabar-server: the same command line as redis-server.
return Cinnabar.Server.Hosting.Startup.Run(args);
