namespace Wirestack.Cli.Hosting;

/// <summary>Where a command's sockets come from (--network).</summary>
internal enum NetworkKind
{
    /// <summary>A Wirestack stack on the device given by --device (the default).</summary>
    Stack,

    /// <summary>The kernel's own sockets: the same application code, without Wirestack.</summary>
    Kernel,
}
