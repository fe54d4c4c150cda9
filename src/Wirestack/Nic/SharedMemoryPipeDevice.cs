using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.MemoryMappedFiles;
using Wirestack.Nic.Linux;
using L = Wirestack.Nic.SharedMemoryPipeLayout;

namespace Wirestack.Nic;

/// <summary>
/// One end of a cable between two processes: a memory-mapped file (under /dev/shm by default) holding two
/// single-producer, single-consumer rings of fixed-size slots, one per direction, in the netmap pipe manner.
/// A frame one process writes into its transmit slot is the very memory the other reads in place (no copy);
/// <see cref="Flush"/> publishes a batch with one release store, and wakes the peer with a futex on a word in
/// the mapping only when the peer said it sleeps.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Create"/> makes the file and attaches as side A; <see cref="Open"/> attaches to it as side B. Each
/// side records its process id and bumps a heartbeat in the header; a device looks at its peer's process while it
/// waits (every <see cref="SharedMemoryPipeOptions.PeerCheckInterval"/>) and when its transmit ring is full, so a
/// crashed peer surfaces as <see cref="PipePeerState.Exited"/> and a <see cref="PipePeerExitedException"/> from the
/// next receive, flush or wait instead of a hang. A file left by a creator that died is re-created by the next
/// <see cref="Create"/>.
/// </para>
/// <para>Linux only (futex(2), /proc). Both processes must see the same process ids (one PID namespace).</para>
/// </remarks>
public sealed unsafe class SharedMemoryPipeDevice : INetworkDevice
{
    /// <summary>Where a pipe named without a directory lives.</summary>
    public const string DefaultDirectory = "/dev/shm";

    private readonly string _path;
    private readonly int _side;
    private readonly SharedMemoryPipeOptions _options;
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly byte* _own;
    private readonly byte* _peer;
    private readonly long _checkIntervalMs;
    private readonly long _heartbeatTimeoutMs;
    private readonly SharedMemoryRing _receive;
    private readonly SharedMemoryRing _transmit;
    private long _receiveHead;
    private int _lent;
    private long _transmitTail;
    private long _transmitHeadSeen;
    private int _pending;
    private long _pendingBytes;
    private bool _slotLent;
    private bool _transmitBlocked;
    private long _heartbeat;
    private int _interruptPending;
    private long _nextPeerCheck;
    private long _peerHeartbeat;
    private long _peerHeartbeatAt;
    private int _peerPid;
    private string _peerStatPath = "";
    private int _peerState;
    private bool _pointerAcquired;
    private bool _disposed;

    private SharedMemoryPipeDevice(string path, int side, in L layout, SharedMemoryPipeOptions options, MemoryMappedFile file)
    {
        _path = path;
        _side = side;
        _options = options;
        _file = file;
        _view = file.CreateViewAccessor(0, layout.TotalLength, MemoryMappedFileAccess.ReadWrite);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _pointerAcquired = true;
        _base = pointer + _view.PointerOffset;
        _own = _base + L.SideOffset(side);
        _peer = _base + L.SideOffset(1 - side);
        _receive = new SharedMemoryRing(_base, layout, 1 - side);
        _transmit = new SharedMemoryRing(_base, layout, side);
        _receiveHead = _receive.Head;
        _transmitTail = _transmit.Tail;
        _transmitHeadSeen = _transmit.Head;
        _checkIntervalMs = Math.Max(1, (long)options.PeerCheckInterval.TotalMilliseconds);
        _heartbeatTimeoutMs = Math.Max(1, (long)options.HeartbeatTimeout.TotalMilliseconds);
        Capabilities = new DeviceCapabilities
        {
            Mtu = layout.Mtu,
            ReceiveRingSize = layout.SlotCount,
            TransmitRingSize = layout.SlotCount,
            ReceiveBatchSize = Math.Min(options.ReceiveBatchSize, layout.SlotCount),
        };
    }

    /// <summary>
    /// Makes the pipe's file at <paramref name="path"/> and attaches to it as side A. A bare name is placed in
    /// <see cref="DefaultDirectory"/>. A file left by a creator whose process has exited (or that closed it) is
    /// replaced.
    /// </summary>
    /// <exception cref="IOException">The file belongs to a creator that still runs, or is not a Wirestack pipe.</exception>
    /// <exception cref="PlatformNotSupportedException">Not Linux, or no futex(2) on this architecture.</exception>
    public static SharedMemoryPipeDevice Create(string path, SharedMemoryPipeOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new SharedMemoryPipeOptions();
        options.Validate();
        RequirePlatform();
        string full = ResolvePath(path);
        var layout = new L(options.RingSize, options.Mtu);
        RemoveStale(full);
        var stream = new FileStream(full, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        MemoryMappedFile file;
        try
        {
            stream.SetLength(layout.TotalLength);
            file = MemoryMappedFile.CreateFromFile(stream, null, layout.TotalLength, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
        }
        catch
        {
            stream.Dispose();
            TryDelete(full);
            throw;
        }
        var device = new SharedMemoryPipeDevice(full, 0, layout, options, file);
        byte* b = device._base;
        *(int*)(b + L.VersionOffset) = L.Version;
        *(int*)(b + L.SlotCountOffset) = layout.SlotCount;
        *(int*)(b + L.SlotSizeOffset) = layout.SlotSize;
        *(int*)(b + L.MtuOffset) = layout.Mtu;
        *(long*)(b + L.LengthOffset) = layout.TotalLength;
        device.Attach();
        // The magic goes last, with a release store: whoever sees it sees the whole header.
        Volatile.Write(ref *(ulong*)(b + L.MagicOffset), L.Magic);
        return device;
    }

    /// <summary>
    /// Attaches to the pipe at <paramref name="path"/> as side B. Its geometry comes from the file; when
    /// <paramref name="options"/> are given, their <see cref="SharedMemoryPipeOptions.Mtu"/> and
    /// <see cref="SharedMemoryPipeOptions.RingSize"/> must match it (the rest applies to this side only).
    /// </summary>
    /// <exception cref="FileNotFoundException">No pipe at <paramref name="path"/>: the creator has not run yet.</exception>
    /// <exception cref="InvalidDataException">The file is not a pipe of this version, or its geometry differs from <paramref name="options"/>.</exception>
    /// <exception cref="IOException">The creator has exited or closed its side, or side B is taken.</exception>
    public static SharedMemoryPipeDevice Open(string path, SharedMemoryPipeOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options?.Validate();
        RequirePlatform();
        string full = ResolvePath(path);
        if (!File.Exists(full))
            throw new FileNotFoundException($"There is no shared-memory pipe at '{full}': the creating side must call SharedMemoryPipeDevice.Create first.", full);
        var stream = new FileStream(full, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        MemoryMappedFile file;
        L layout;
        try
        {
            layout = ReadGeometry(full, stream, options);
            file = MemoryMappedFile.CreateFromFile(stream, null, layout.TotalLength, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        var device = new SharedMemoryPipeDevice(full, 1, layout, options ?? new SharedMemoryPipeOptions { Mtu = layout.Mtu, RingSize = layout.SlotCount }, file);
        try
        {
            byte* a = device._peer;
            int creatorState = Volatile.Read(ref *(int*)(a + L.SideStateOffset));
            int creator = *(int*)(a + L.SidePidOffset);
            if (creatorState != L.StateAttached)
                throw new IOException($"The shared-memory pipe '{full}' was closed by its creator (process {creator}); the creating side must re-create it.");
            if (SharedMemoryNative.HasExited(creator, $"/proc/{creator}/stat"))
                throw new IOException($"The creator of the shared-memory pipe '{full}' (process {creator}) has exited; the creating side must re-create it.");
            ref int state = ref *(int*)(device._own + L.SideStateOffset);
            if (Interlocked.CompareExchange(ref state, L.StateAttached, L.StateEmpty) != L.StateEmpty)
            {
                int other = *(int*)(device._own + L.SidePidOffset);
                throw new IOException($"Side B of the shared-memory pipe '{full}' is already taken (by process {other}); a pipe joins exactly two devices, so the creating side must re-create it for a new peer.");
            }
            device.Attach();
        }
        catch
        {
            device.DisposeMapping();
            throw;
        }
        return device;
    }

    /// <inheritdoc />
    public DeviceCapabilities Capabilities { get; }

    /// <inheritdoc />
    public DeviceCounters Counters { get; } = new();

    /// <summary>The pipe's file.</summary>
    public string Path => _path;

    /// <summary>True for the side that created the pipe (side A), false for the side that opened it.</summary>
    public bool IsCreator => _side == 0;

    /// <summary>
    /// What this device knows of its peer, as of its last look (at most <see cref="SharedMemoryPipeOptions.PeerCheckInterval"/>
    /// old while the device is waited on or polled; see <see cref="CheckPeer"/>).
    /// </summary>
    public PipePeerState PeerState => (PipePeerState)Volatile.Read(ref _peerState);

    /// <summary>The peer's process id once it has attached, else 0.</summary>
    public int PeerProcessId => Volatile.Read(ref *(int*)(_peer + L.SidePidOffset));

    /// <summary>Looks at the peer's process now and returns its state. Call it from the device's owning thread.</summary>
    public PipePeerState CheckPeer()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Look(Environment.TickCount64);
        return PeerState;
    }

    /// <inheritdoc />
    /// <exception cref="PipePeerExitedException">The peer process exited.</exception>
    public int Receive()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfPeerExited();
        Volatile.Write(ref *(long*)(_own + L.SideHeartbeatOffset), ++_heartbeat);
        int batch = Capabilities.ReceiveBatchSize;
        if (_lent >= batch) return _lent;
        long next = _receiveHead + _lent;
        long available = _receive.Tail - next;
        // A peer that wrote nonsense into its index cannot make us read past the ring.
        if ((ulong)available > (ulong)(_receive.Capacity - _lent)) available = available < 0 ? 0 : _receive.Capacity - _lent;
        int take = (int)Math.Min(available, batch - _lent);
        int slotSize = _receive.SlotSize;
        for (int i = 0; i < take; i++)
        {
            long sequence = next + i;
            int length = _receive.Length(sequence);
            if ((uint)length > (uint)slotSize)
            {
                // Lent as an empty frame, which the stack drops as malformed; counted here as the peer's error.
                Counters.ReceiveErrorsField++;
                _receive.SetLength(sequence, 0);
                length = 0;
            }
            Counters.ReceivedBytesField += length;
        }
        Counters.ReceivedFramesField += take;
        _lent += take;
        if (_lent == 0) MaybeLook();
        return _lent;
    }

    /// <inheritdoc />
    public ReadOnlySpan<byte> GetReceived(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_lent, nameof(index));
        return _receive.Frame(_receiveHead + index);
    }

    /// <inheritdoc />
    public void ReleaseReceived(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)_lent, nameof(count));
        if (count == 0) return;
        _receiveHead += count;
        _lent -= count;
        _receive.Release(_receiveHead);
        // As in Flush: the fence orders our head store before the flag load, the peer orders them the other way.
        Interlocked.MemoryBarrier();
        if ((Volatile.Read(ref *(int*)(_peer + L.SideSleepingOffset)) & L.SleepingForTransmitSpace) != 0) RingPeer();
    }

    /// <inheritdoc />
    /// <exception cref="PipePeerExitedException">The transmit ring is full and the peer process turned out to have exited.</exception>
    public bool TryGetTransmitSlot(out Span<byte> slot)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_slotLent)
            throw new InvalidOperationException("A transmit slot is already lent; commit it with CommitTransmit before asking for another.");
        long next = _transmitTail + _pending;
        if (next - _transmitHeadSeen >= _transmit.Capacity)
        {
            _transmitHeadSeen = _transmit.Head;
            if (next - _transmitHeadSeen >= _transmit.Capacity)
            {
                _transmitBlocked = true;
                MaybeLook();
                slot = default;
                return false;
            }
        }
        _transmitBlocked = false;
        slot = _transmit.Slot(next);
        _slotLent = true;
        return true;
    }

    /// <inheritdoc />
    public void CommitTransmit(int length)
    {
        if (!_slotLent)
            throw new InvalidOperationException("No transmit slot is lent; call TryGetTransmitSlot first.");
        if (length < 0 || length > _transmit.SlotSize)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"A frame must be 0 to {_transmit.SlotSize} bytes (the slot size).");
        _transmit.SetLength(_transmitTail + _pending, length);
        _pending++;
        _pendingBytes += length;
        _slotLent = false;
    }

    /// <inheritdoc />
    /// <exception cref="PipePeerExitedException">The peer process exited.</exception>
    public int Flush()
    {
        int published = _pending;
        if (published == 0) return 0;
        ThrowIfPeerExited();
        if (Volatile.Read(ref *(int*)(_peer + L.SideStateOffset)) == L.StateClosed)
        {
            Counters.TransmitDroppedField += published;
        }
        else
        {
            _transmitTail += published;
            _transmit.Publish(_transmitTail);
            Counters.TransmittedFramesField += published;
            Counters.TransmittedBytesField += _pendingBytes;
            // The full fence orders the tail store before the flag load; the sleeper orders them the other way
            // round, so one of the two always sees the other and no wake-up is lost.
            Interlocked.MemoryBarrier();
            if ((Volatile.Read(ref *(int*)(_peer + L.SideSleepingOffset)) & L.SleepingForReceive) != 0) RingPeer();
        }
        _pending = 0;
        _pendingBytes = 0;
        return published;
    }

    /// <inheritdoc />
    /// <remarks>Sleeps on a futex in the mapping, at most <see cref="SharedMemoryPipeOptions.PeerCheckInterval"/> at a time, looking at the peer in between.</remarks>
    /// <exception cref="PipePeerExitedException">The peer process exited.</exception>
    public bool WaitForReceive(TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interlocked.Exchange(ref _interruptPending, 0) != 0) return true;
        ThrowIfPeerExited();
        if (HasWork()) return true;
        long start = Stopwatch.GetTimestamp();
        int* sleeping = (int*)(_own + L.SideSleepingOffset);
        int* doorbell = (int*)(_own + L.SideDoorbellOffset);
        while (true)
        {
            TimeSpan slice = _options.PeerCheckInterval;
            if (timeout != Timeout.InfiniteTimeSpan)
            {
                var remaining = timeout - Stopwatch.GetElapsedTime(start);
                if (remaining <= TimeSpan.Zero) return false;
                if (remaining < slice) slice = remaining;
            }
            Volatile.Write(ref *(long*)(_own + L.SideHeartbeatOffset), ++_heartbeat);
            // Say what we sleep for (a full fence), then read the doorbell, then look once more: a peer that
            // published before seeing the flag is seen here, one that saw it rings and changes the word.
            Interlocked.Exchange(ref *sleeping, L.SleepingForReceive | (_transmitBlocked ? L.SleepingForTransmitSpace : 0));
            int ring = Volatile.Read(ref *doorbell);
            if (Volatile.Read(ref _interruptPending) == 0 && !HasWork()) SharedMemoryNative.FutexWait(doorbell, ring, slice);
            Volatile.Write(ref *sleeping, 0);
            if (Interlocked.Exchange(ref _interruptPending, 0) != 0 || HasWork()) return true;
            Look(Environment.TickCount64);
            ThrowIfPeerExited();
        }
    }

    /// <inheritdoc />
    public void Interrupt()
    {
        Volatile.Write(ref _interruptPending, 1);
        bool added = false;
        try
        {
            // The reference keeps the mapping alive while we touch it, even if Dispose runs on another thread.
            _view.SafeMemoryMappedViewHandle.DangerousAddRef(ref added);
            if (Volatile.Read(ref _disposed)) return;
            int* doorbell = (int*)(_own + L.SideDoorbellOffset);
            Interlocked.Increment(ref *doorbell);
            SharedMemoryNative.FutexWake(doorbell);
        }
        catch (ObjectDisposedException)
        {
            // Disposed already: there is no wait left to wake.
        }
        finally
        {
            if (added) _view.SafeMemoryMappedViewHandle.DangerousRelease();
        }
    }

    /// <summary>Marks this side closed (the peer drops what it sends from then on), wakes the peer and unmaps the file.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        Volatile.Write(ref _disposed, true);
        Volatile.Write(ref *(int*)(_own + L.SideStateOffset), L.StateClosed);
        RingPeer();
        DisposeMapping();
        if (_side == 0 && _options.DeleteOnDispose) TryDelete(_path);
    }

    private void Attach()
    {
        *(int*)(_own + L.SidePidOffset) = Environment.ProcessId;
        Volatile.Write(ref *(int*)(_own + L.SideStateOffset), L.StateAttached);
        _nextPeerCheck = 0;
        Look(Environment.TickCount64);
    }

    private bool HasWork()
    {
        if (_receive.Tail != _receiveHead + _lent) return true;
        return _transmitBlocked && _transmitTail + _pending - _transmit.Head < _transmit.Capacity;
    }

    private void RingPeer()
    {
        int* doorbell = (int*)(_peer + L.SideDoorbellOffset);
        Interlocked.Increment(ref *doorbell);
        SharedMemoryNative.FutexWake(doorbell);
    }

    private void ThrowIfPeerExited()
    {
        if (Volatile.Read(ref _peerState) == (int)PipePeerState.Exited) throw new PipePeerExitedException(_peerPid, _path);
    }

    private void MaybeLook()
    {
        long now = Environment.TickCount64;
        if (now < _nextPeerCheck) return;
        Look(now);
        ThrowIfPeerExited();
    }

    // Reads the peer's side block and, while it is attached, asks the kernel whether its process still runs.
    private void Look(long now)
    {
        _nextPeerCheck = now + _checkIntervalMs;
        if (_peerState == (int)PipePeerState.Exited) return;
        int state = Volatile.Read(ref *(int*)(_peer + L.SideStateOffset));
        PipePeerState next;
        if (state == L.StateEmpty)
        {
            next = PipePeerState.Waiting;
        }
        else if (state == L.StateClosed)
        {
            next = PipePeerState.Closed;
        }
        else
        {
            int pid = Volatile.Read(ref *(int*)(_peer + L.SidePidOffset));
            if (pid != _peerPid)
            {
                _peerPid = pid;
                _peerStatPath = $"/proc/{pid}/stat"; // once per peer
                _peerHeartbeatAt = now;
            }
            long heartbeat = Volatile.Read(ref *(long*)(_peer + L.SideHeartbeatOffset));
            if (heartbeat != _peerHeartbeat)
            {
                _peerHeartbeat = heartbeat;
                _peerHeartbeatAt = now;
            }
            if (SharedMemoryNative.HasExited(pid, _peerStatPath)) next = PipePeerState.Exited;
            else next = now - _peerHeartbeatAt > _heartbeatTimeoutMs ? PipePeerState.Unresponsive : PipePeerState.Connected;
        }
        Volatile.Write(ref _peerState, (int)next);
    }

    private void DisposeMapping()
    {
        _disposed = true;
        if (_pointerAcquired)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _pointerAcquired = false;
        }
        _view.Dispose();
        _file.Dispose();
    }

    private static void RequirePlatform()
    {
        if (!OperatingSystem.IsLinux() || !SharedMemoryNative.HasFutex)
            throw new PlatformNotSupportedException("SharedMemoryPipeDevice needs Linux (futex(2) and /proc).");
    }

    private static string ResolvePath(string path) =>
        path.Contains('/') ? System.IO.Path.GetFullPath(path) : System.IO.Path.Combine(DefaultDirectory, path);

    // A file from an earlier run is replaced unless its creator still runs and has not closed it.
    private static void RemoveStale(string path)
    {
        if (!File.Exists(path)) return;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            Span<byte> header = stackalloc byte[L.HeaderLength];
            int read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            if (read >= L.HeaderLength)
            {
                ulong magic = BinaryPrimitives.ReadUInt64LittleEndian(header);
                if (magic != 0 && magic != L.Magic)
                    throw new IOException($"'{path}' exists and is not a Wirestack shared-memory pipe; delete it or choose another path.");
                int state = BinaryPrimitives.ReadInt32LittleEndian(header[(L.SideOffset(0) + L.SideStateOffset)..]);
                int pid = BinaryPrimitives.ReadInt32LittleEndian(header[(L.SideOffset(0) + L.SidePidOffset)..]);
                if (magic == L.Magic && state == L.StateAttached && !SharedMemoryNative.HasExited(pid, $"/proc/{pid}/stat"))
                    throw new IOException($"The shared-memory pipe '{path}' is in use: process {pid} created it and still runs. Choose another path, or stop that process first.");
            }
        }
        File.Delete(path);
    }

    private static L ReadGeometry(string path, FileStream stream, SharedMemoryPipeOptions? expected)
    {
        long fileLength = stream.Length;
        if (fileLength < L.HeaderLength)
            throw new InvalidDataException($"'{path}' is {fileLength} bytes, shorter than a shared-memory pipe's {L.HeaderLength}-byte header: it is not a pipe, or its creator has not finished making it.");
        Span<byte> header = stackalloc byte[L.HeaderLength];
        stream.Position = 0;
        stream.ReadExactly(header);
        ulong magic = BinaryPrimitives.ReadUInt64LittleEndian(header);
        if (magic != L.Magic)
            throw new InvalidDataException($"'{path}' is not a Wirestack shared-memory pipe: its magic is 0x{magic:X16}, expected 0x{L.Magic:X16} (or its creator has not finished making it).");
        int version = BinaryPrimitives.ReadInt32LittleEndian(header[L.VersionOffset..]);
        if (version != L.Version)
            throw new InvalidDataException($"The shared-memory pipe '{path}' has layout version {version}; this Wirestack speaks version {L.Version}. Run the same Wirestack version on both sides.");
        int slotCount = BinaryPrimitives.ReadInt32LittleEndian(header[L.SlotCountOffset..]);
        int slotSize = BinaryPrimitives.ReadInt32LittleEndian(header[L.SlotSizeOffset..]);
        int mtu = BinaryPrimitives.ReadInt32LittleEndian(header[L.MtuOffset..]);
        long length = BinaryPrimitives.ReadInt64LittleEndian(header[L.LengthOffset..]);
        if (slotCount < 2 || slotCount > 65536 || (slotCount & (slotCount - 1)) != 0 || mtu is < 68 or > 65535)
            throw new InvalidDataException($"The shared-memory pipe '{path}' has an impossible geometry: {slotCount} slots, MTU {mtu}.");
        var layout = new L(slotCount, mtu);
        if (layout.SlotSize != slotSize || layout.TotalLength != length || fileLength < length)
            throw new InvalidDataException($"The shared-memory pipe '{path}' has slot size {slotSize} and length {length} (file {fileLength} bytes); {slotCount} slots at MTU {mtu} need slot size {layout.SlotSize} and length {layout.TotalLength}.");
        if (expected is not null && expected.RingSize != slotCount)
            throw new InvalidDataException($"The shared-memory pipe '{path}' has RingSize {slotCount}, but the options ask for {expected.RingSize}. Use the creator's geometry, or pass no options to adopt it.");
        if (expected is not null && expected.Mtu != mtu)
            throw new InvalidDataException($"The shared-memory pipe '{path}' has Mtu {mtu}, but the options ask for {expected.Mtu}. Use the creator's geometry, or pass no options to adopt it.");
        return layout;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover file is replaced by the next Create.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}
