namespace Wirestack.Nic;

/// <summary>
/// Thrown by a <see cref="SharedMemoryPipeDevice"/> once the process at the other end has exited without closing
/// its side: nothing will drain the rings any more. Dispose the device; the creating side may re-create the pipe.
/// </summary>
public sealed class PipePeerExitedException : IOException
{
    /// <summary>Creates the exception for peer process <paramref name="processId"/> of the pipe at <paramref name="path"/>.</summary>
    public PipePeerExitedException(int processId, string path)
        : base($"The peer process {processId} of the shared-memory pipe '{path}' exited without closing its side. Dispose this device; the creating side can re-create the pipe at the same path.")
    {
        ProcessId = processId;
        Path = path;
    }

    /// <summary>The process id of the peer that exited.</summary>
    public int ProcessId { get; }

    /// <summary>The pipe's file.</summary>
    public string Path { get; }
}
