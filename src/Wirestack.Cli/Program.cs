using System.CommandLine;

var root = new RootCommand("Wirestack: a user-space TCP/IP stack for .NET.");
return root.Parse(args).Invoke();
