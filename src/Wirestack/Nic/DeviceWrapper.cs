namespace Wirestack.Nic;

/// <summary>
/// A device around a device: every member forwards to <see cref="Inner"/>, and each is virtual so
/// a wrapper (pcap recorder, fault injector, tracer) intercepts only what it needs. A wrapper is
/// used exactly like the device it wraps, so wrappers stack: a tracer around a fault injector
/// around a pipe.
/// </summary>
/// <remarks>
/// Disposing the wrapper disposes the inner device too, unless it was built with
/// <c>leaveInnerOpen</c>. The threading rules of <see cref="INetworkDevice"/> hold unchanged: one
/// thread drives the wrapper; only <see cref="Interrupt"/> and <see cref="Counters"/> are safe
/// from others.
/// </remarks>
public abstract class DeviceWrapper : INetworkDevice
{
    private readonly bool _leaveInnerOpen;
    private bool _disposed;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The device every call is forwarded to.</param>
    /// <param name="leaveInnerOpen">True to leave <paramref name="inner"/> open when this wrapper is disposed.</param>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> is null.</exception>
    protected DeviceWrapper(INetworkDevice inner, bool leaveInnerOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        Inner = inner;
        _leaveInnerOpen = leaveInnerOpen;
    }

    /// <summary>The wrapped device.</summary>
    protected INetworkDevice Inner { get; }

    /// <summary>True once <see cref="Dispose()"/> has run.</summary>
    protected bool IsDisposed => _disposed;

    /// <inheritdoc />
    public virtual DeviceCapabilities Capabilities => Inner.Capabilities;

    /// <inheritdoc />
    public virtual DeviceCounters Counters => Inner.Counters;

    /// <inheritdoc />
    public virtual int Receive() => Inner.Receive();

    /// <inheritdoc />
    public virtual ReadOnlySpan<byte> GetReceived(int index) => Inner.GetReceived(index);

    /// <inheritdoc />
    public virtual ReadOnlySpan<byte> GetReceived(int index, out FrameOffload offload) => Inner.GetReceived(index, out offload);

    /// <inheritdoc />
    public virtual void ReleaseReceived(int count) => Inner.ReleaseReceived(count);

    /// <inheritdoc />
    public virtual bool TryGetTransmitSlot(out Span<byte> slot) => Inner.TryGetTransmitSlot(out slot);

    /// <inheritdoc />
    public virtual void CommitTransmit(int length) => Inner.CommitTransmit(length);

    /// <inheritdoc />
    public virtual void CommitTransmit(int length, in FrameOffload offload) => Inner.CommitTransmit(length, offload);

    /// <inheritdoc />
    public virtual int Flush() => Inner.Flush();

    /// <inheritdoc />
    public virtual bool WaitForReceive(TimeSpan timeout) => Inner.WaitForReceive(timeout);

    /// <inheritdoc />
    public virtual void Interrupt() => Inner.Interrupt();

    /// <summary>Disposes the wrapper and, unless told to leave it open, the inner device. Calling it again does nothing.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Releases what the wrapper holds; runs once. Overrides release their own resources and then
    /// call the base, which disposes the inner device unless told to leave it open.
    /// </summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing && !_leaveInnerOpen) Inner.Dispose();
    }
}
