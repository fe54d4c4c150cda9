namespace Wirestack.Cli;

/// <summary>A request the command cannot carry out as given; its message is printed as one line and the exit code is 2.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
