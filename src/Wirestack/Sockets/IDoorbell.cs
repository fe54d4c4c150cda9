namespace Wirestack.Sockets;

/// <summary>
/// Wakes the other side of a ring: the stack thread when an application made data or room for it, an application
/// waiter when the stack did. Rung only when that side said it is about to sleep, so a busy ring rings rarely.
/// </summary>
internal interface IDoorbell
{
    /// <summary>Wakes the side waiting on the ring. Safe from any thread; must not block.</summary>
    void Ring();
}
