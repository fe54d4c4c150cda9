using Microsoft.Win32.SafeHandles;

namespace Wirestack.Nic.Linux;

/// <summary>
/// Sleeps in poll(2) on a device's file descriptor and an eventfd, so that another thread can cut
/// the sleep short (<see cref="Interrupt"/>) with one write: the runtime's way to wake the stack
/// for a command without spinning.
/// </summary>
internal sealed unsafe class ReadinessWaiter : IDisposable
{
    private readonly int _deviceFd;
    private readonly int _eventFd;

    // The handle's reference count keeps the eventfd open while another thread's Interrupt writes
    // to it, so a Dispose racing with Interrupt cannot close the number under it (and let it be
    // reused by some other open file).
    private readonly SafeFileHandle _eventHandle;

    public ReadinessWaiter(int deviceFd)
    {
        _deviceFd = deviceFd;
        _eventFd = LinuxNative.EventFd(0, LinuxNative.EFD_NONBLOCK | LinuxNative.EFD_CLOEXEC);
        if (_eventFd < 0)
            throw new IOException($"eventfd failed: {LinuxNative.Describe(LinuxNative.LastError)}");
        _eventHandle = new SafeFileHandle(_eventFd, ownsHandle: true);
    }

    /// <summary>Waits until the device fd is readable, <see cref="Interrupt"/>, or the timeout; true unless it timed out.</summary>
    public bool Wait(TimeSpan timeout)
    {
        var fds = stackalloc LinuxNative.PollFd[2];
        fds[0] = new LinuxNative.PollFd { Fd = _deviceFd, Events = LinuxNative.POLLIN };
        fds[1] = new LinuxNative.PollFd { Fd = _eventFd, Events = LinuxNative.POLLIN };
        int milliseconds = timeout == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Clamp(Math.Ceiling(timeout.TotalMilliseconds), 0, int.MaxValue);
        int ready = LinuxNative.Poll(fds, 2, milliseconds);
        if (ready < 0) return LinuxNative.LastError == LinuxNative.EINTR; // a signal: let the caller look again
        if ((fds[1].Revents & LinuxNative.POLLIN) != 0)
        {
            ulong drained;
            LinuxNative.Read(_eventFd, (byte*)&drained, sizeof(ulong));
        }
        return ready > 0;
    }

    /// <summary>Wakes a <see cref="Wait"/> in progress, or makes the next one return at once. Safe from any thread.</summary>
    public void Interrupt()
    {
        bool added = false;
        try
        {
            _eventHandle.DangerousAddRef(ref added);
            ulong one = 1;
            LinuxNative.Write(_eventFd, (byte*)&one, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
            // Disposed already: there is no wait left to wake.
        }
        finally
        {
            if (added) _eventHandle.DangerousRelease();
        }
    }

    public void Dispose() => _eventHandle.Dispose();
}
