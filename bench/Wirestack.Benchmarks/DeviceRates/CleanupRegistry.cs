using System.Runtime.InteropServices;

namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>
/// Everything the benchmark made outside this process (namespaces, veth pairs, the sender's temp
/// directory and processes), undone in reverse order: at the end of the run, on Ctrl-C, and when the
/// process is told to end (SIGTERM, SIGHUP) or exits. Devices are not here: they map memory the
/// loops are reading, so only the thread using them disposes them; the kernel closes them when the
/// process ends anyway, and a TAP interface goes with its descriptor.
/// </summary>
internal sealed class CleanupRegistry : IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<(string What, Action Undo)> _undo = [];
    private readonly CancellationTokenSource _cancel = new();
    private readonly List<PosixSignalRegistration> _signals = [];
    private bool _closed;
    private bool _installed;

    /// <summary>Set by the first Ctrl-C: the run stops at the next batch and cleans up.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>Hooks Ctrl-C and process exit.</summary>
    public void Install()
    {
        Console.CancelKeyPress += OnCancelKeyPress;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        // The runtime's default for these is to end the process without raising ProcessExit: clean
        // up first, then let the default happen.
        _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnTerminate));
        _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnTerminate));
        _installed = true;
    }

    /// <summary>
    /// Records how to undo something just made. Call it right after making the thing: if the
    /// registry was already cleaned up (the process is exiting) it is undone at once and the run stops.
    /// </summary>
    public void Add(string what, Action undo)
    {
        lock (_lock)
        {
            if (!_closed)
            {
                _undo.Add((what, undo));
                return;
            }
        }
        RunOne(what, undo);
        throw new OperationCanceledException("the benchmark is stopping");
    }

    /// <summary>Undoes everything recorded, newest first; later additions are undone as they come. Idempotent.</summary>
    public void RunAll()
    {
        lock (_lock)
        {
            _closed = true;
            for (int i = _undo.Count - 1; i >= 0; i--) RunOne(_undo[i].What, _undo[i].Undo);
            _undo.Clear();
        }
    }

    public void Dispose()
    {
        RunAll();
        if (_installed)
        {
            Console.CancelKeyPress -= OnCancelKeyPress;
            AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
            foreach (var signal in _signals) signal.Dispose();
            _signals.Clear();
            _installed = false;
        }
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        if (!_cancel.IsCancellationRequested)
        {
            // First Ctrl-C: stop at the next batch; the main thread disposes the devices and cleans up.
            e.Cancel = true;
            Console.Error.WriteLine("devices: interrupted; stopping and removing what the benchmark made (Ctrl-C again to force)");
            _cancel.Cancel();
            return;
        }
        // Second Ctrl-C: clean up here and let the process die.
        RunAll();
    }

    private void OnProcessExit(object? sender, EventArgs e) => RunAll();

    private void OnTerminate(PosixSignalContext context)
    {
        Console.Error.WriteLine($"devices: {context.Signal}; removing what the benchmark made");
        _cancel.Cancel();
        RunAll();
    }

    private static void RunOne(string what, Action undo)
    {
        try
        {
            undo();
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"devices: cleanup of {what} failed: {e.Message}");
        }
    }
}
