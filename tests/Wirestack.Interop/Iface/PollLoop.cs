using Wirestack.Iface;

namespace Wirestack.Interop.Iface;

/// <summary>
/// Drives an <see cref="Interface"/> the way the sockets runtime will: Poll on a thread of its own, then sleep
/// in the device until a frame arrives or the next deadline passes. An optional step runs on the same thread
/// before each poll (the Interface has one owner) and returns its own next deadline.
/// </summary>
internal sealed class PollLoop : IDisposable
{
    private static readonly TimeSpan MaxSleep = TimeSpan.FromMilliseconds(100);
    private readonly Interface _iface;
    private readonly Func<Instant, Instant>? _step;
    private readonly Thread _thread;
    private volatile bool _stopping;

    public PollLoop(Interface iface, Func<Instant, Instant>? step)
    {
        _iface = iface;
        _step = step;
        _thread = new Thread(Run) { IsBackground = true, Name = "wirestack poll" };
        _thread.Start();
    }

    public Exception? Failure { get; private set; }

    public bool Failed => Failure is not null;

    public void Stop()
    {
        if (_stopping) return;
        _stopping = true;
        _iface.Device.Interrupt();
        _thread.Join();
    }

    public void Dispose() => Stop();

    private void Run()
    {
        try
        {
            while (!_stopping)
            {
                var now = Instant.Now(TimeProvider.System);
                var deadline = _step?.Invoke(now) ?? Instant.MaxValue;
                long received = _iface.Counters.ReceivedFrames;
                deadline = Instant.Min(deadline, _iface.Poll(now));
                // What just arrived may be for the step (data to read, a window to reopen by reading): let it run
                // before sleeping, as an application woken by the stack would, or a zero window waits out MaxSleep.
                if (_iface.Counters.ReceivedFrames != received) continue;
                var after = Instant.Now(TimeProvider.System);
                // Clamp before subtracting: MaxValue minus now does not fit a TimeSpan.
                deadline = Instant.Min(deadline, after + MaxSleep);
                var wait = deadline <= after ? TimeSpan.Zero : deadline - after;
                if (wait > TimeSpan.Zero) _iface.Device.WaitForReceive(wait);
            }
        }
        catch (Exception e)
        {
            Failure = e;
        }
    }
}
