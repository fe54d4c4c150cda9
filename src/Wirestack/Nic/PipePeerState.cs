namespace Wirestack.Nic;

/// <summary>What a <see cref="SharedMemoryPipeDevice"/> knows of the process at the other end.</summary>
public enum PipePeerState
{
    /// <summary>No process has attached to the other side yet.</summary>
    Waiting,

    /// <summary>The peer is attached, its process runs and it has polled recently.</summary>
    Connected,

    /// <summary>The peer's process runs but has not polled its device for longer than the heartbeat timeout.</summary>
    Unresponsive,

    /// <summary>The peer disposed its device: frames sent from now on are dropped.</summary>
    Closed,

    /// <summary>The peer's process exited without closing its device (it crashed or was killed).</summary>
    Exited,
}
