using System.Text;
using Wirestack.Nic.Linux;
using static Wirestack.Nic.Linux.XdpNative;

namespace Wirestack.Nic;

/// <summary>
/// One receive queue of a Linux network interface through an AF_XDP socket: an XDP program attached
/// to the interface redirects the queue's frames into memory this process owns (the UMEM) and the
/// socket sends frames written there, one system call per batch at most. Frames are read and written
/// in place in the UMEM; nothing is copied between the stack and the socket.
/// </summary>
/// <remarks>
/// <para>
/// Everything is made with system calls (no libbpf or libxdp): the UMEM is page-aligned anonymous
/// memory registered with XDP_UMEM_REG and cut into chunks; the fill, completion, receive and transmit
/// rings are mapped from the socket. Half of the chunks receive: they cycle through the fill ring to
/// the kernel, come back in the receive ring, are lent to the stack, and go back to the fill ring on
/// release. The other half transmit: a free chunk is lent as a slot, committed to the transmit ring,
/// and comes back through the completion ring once the kernel has sent it.
/// </para>
/// <para>
/// The XDP program (<c>bpf_redirect_map(&amp;xsks, rx_queue_index, XDP_PASS)</c>, six instructions
/// loaded with bpf(2)) is attached over rtnetlink when the first device on an interface opens and
/// detached when the last one is disposed: devices on different queues of one interface (one socket
/// per queue, <see cref="XdpDeviceOptions.QueueId"/>) share it. Frames of queues without a device,
/// and every frame while no socket is in the map, go on to the kernel's stack. A program left attached by a Wirestack process that died is removed at the next
/// open (<see cref="XdpDeviceOptions.ReplaceStaleProgram"/>). Needs CAP_NET_ADMIN, CAP_NET_RAW and
/// CAP_BPF (root).
/// </para>
/// </remarks>
public sealed unsafe class XdpDevice : INetworkDevice
{
    private const int EthernetHeaderLength = 14;
    private const int StatisticsInterval = 1024;

    private readonly int _fd;
    private readonly byte* _umem;
    private readonly nuint _umemLength;
    private readonly ulong _chunkMask;
    private readonly int _batchSize;
    private readonly int _maxFrameLength;
    private readonly int _promiscuousFd;
    private readonly XdpInterfaceProgram _program;
    private readonly ReadinessWaiter _waiter;

    private XdpRing _fill;
    private XdpRing _completion;
    private XdpRing _rx;
    private XdpRing _tx;

    // Frames lent by Receive, oldest first, in a circular list of ReceiveBatchSize entries: their
    // address in the UMEM and length. Their descriptors are consumed at once; the chunks go back to
    // the fill ring on release.
    private readonly ulong[] _lentAddress;
    private readonly int[] _lentLength;
    private int _lentFirst;
    private int _lentCount;

    // Transmit chunks not in the kernel's hands, as a stack of UMEM addresses.
    private readonly ulong[] _freeTransmit;
    private int _freeTransmitCount;
    private bool _slotLent;
    private int _unflushedFrames;
    private long _unflushedBytes;
    private bool _kickPending;
    private long _transmitSystemCalls;
    private long _receiveSystemCalls;
    private XdpStatistics _statistics;
    private int _batchesSinceStatistics;
    private bool _disposed;

    private XdpDevice(string interfaceName, int fd, byte* umem, nuint umemLength, int chunkSize, int mtu,
        XdpDeviceOptions options, bool zeroCopy, bool needWakeup,
        int promiscuousFd, XdpInterfaceProgram program, XdpRing fill, XdpRing completion, XdpRing rx, XdpRing tx, ulong[] freeTransmit)
    {
        InterfaceName = interfaceName;
        QueueId = options.QueueId;
        AttachMode = program.Mode;
        CopyMode = zeroCopy ? XdpCopyMode.ZeroCopy : XdpCopyMode.Copy;
        UsesNeedWakeup = needWakeup;
        _fd = fd;
        _umem = umem;
        _umemLength = umemLength;
        _chunkMask = ~(ulong)(chunkSize - 1);
        _batchSize = options.ReceiveBatchSize;
        _maxFrameLength = mtu + DeviceCapabilities.FrameOverhead;
        _promiscuousFd = promiscuousFd;
        _program = program;
        _fill = fill;
        _completion = completion;
        _rx = rx;
        _tx = tx;
        _freeTransmit = freeTransmit;
        _freeTransmitCount = freeTransmit.Length;
        _lentAddress = new ulong[_batchSize];
        _lentLength = new int[_batchSize];
        _waiter = new ReadinessWaiter(fd);
        Capabilities = new DeviceCapabilities
        {
            Mtu = mtu,
            ReceiveRingSize = options.RingSize,
            TransmitRingSize = options.RingSize,
            ReceiveBatchSize = options.ReceiveBatchSize,
        };
    }

    /// <summary>The interface the device is bound to.</summary>
    public string InterfaceName { get; }

    /// <summary>The interface's receive queue the socket is bound to.</summary>
    public int QueueId { get; }

    /// <summary>Where the XDP program was attached: <see cref="XdpAttachMode.Native"/> or <see cref="XdpAttachMode.Generic"/>.</summary>
    public XdpAttachMode AttachMode { get; }

    /// <summary>How the socket was bound: <see cref="XdpCopyMode.ZeroCopy"/> or <see cref="XdpCopyMode.Copy"/>.</summary>
    public XdpCopyMode CopyMode { get; }

    /// <summary>Whether the socket was bound with XDP_USE_NEED_WAKEUP, so system calls are made only when the kernel asks.</summary>
    public bool UsesNeedWakeup { get; }

    /// <summary>The kernel's id of the attached XDP program (as `ip link` and `bpftool prog` show it).</summary>
    public uint ProgramId => _program.ProgramId;

    /// <summary>sendto(2) calls made to kick transmission so far: at most a few per <see cref="Flush"/>, none when the kernel does not ask for one.</summary>
    public long TransmitSystemCalls => Volatile.Read(ref _transmitSystemCalls);

    /// <summary>recvfrom(2) calls made to wake the kernel's receive side (only when it asks, through the fill ring's need-wakeup flag).</summary>
    public long ReceiveSystemCalls => Volatile.Read(ref _receiveSystemCalls);

    /// <inheritdoc />
    public DeviceCapabilities Capabilities { get; }

    /// <inheritdoc />
    public DeviceCounters Counters { get; } = new();

    /// <summary>Opens queue <see cref="XdpDeviceOptions.QueueId"/> of <paramref name="interfaceName"/> (which must exist) and attaches the XDP program.</summary>
    /// <exception cref="ArgumentException">The name or an option is out of range.</exception>
    /// <exception cref="UnauthorizedAccessException">The process lacks CAP_NET_RAW, CAP_NET_ADMIN or CAP_BPF.</exception>
    /// <exception cref="PlatformNotSupportedException">The kernel has no AF_XDP sockets, or is too old for what the options ask.</exception>
    /// <exception cref="IOException">The interface does not exist, another XDP program holds it, the locked-memory limit is too low, or the kernel refused part of the setup (the message names the step and errno).</exception>
    public static XdpDevice Open(string interfaceName, XdpDeviceOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(interfaceName);
        if (Encoding.UTF8.GetByteCount(interfaceName) > 15)
            throw new ArgumentException($"'{interfaceName}' is longer than the 15 bytes Linux allows in an interface name.", nameof(interfaceName));
        options ??= new XdpDeviceOptions();
        options.Validate();
        return Open(interfaceName, options, Environment.ProcessId);
    }

    /// <summary>Opens the device, naming <paramref name="ownerPid"/> as the program's owner (tests play a dead process with it).</summary>
    internal static XdpDevice Open(string interfaceName, XdpDeviceOptions options, int ownerPid)
    {
        uint index = LinuxNative.IfNameToIndex(interfaceName);
        if (index == 0)
            throw new IOException($"no interface '{interfaceName}': create it or check the name ({LinuxNative.Describe(LinuxNative.LastError)}).");

        int fd = LinuxNative.Socket(AF_XDP, LinuxNative.SOCK_RAW | LinuxNative.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            int errno = LinuxNative.LastError;
            if (errno is LinuxNative.EPERM or LinuxNative.EACCES)
                throw new UnauthorizedAccessException($"AF_XDP needs CAP_NET_RAW (and CAP_NET_ADMIN and CAP_BPF for its XDP program): run as root (or grant the capabilities) to open '{interfaceName}' ({LinuxNative.Describe(errno)}).");
            if (errno == EAFNOSUPPORT)
                throw new PlatformNotSupportedException($"This kernel has no AF_XDP sockets: it needs Linux 4.18 or later built with CONFIG_XDP_SOCKETS=y ({LinuxNative.Describe(errno)}). Use PacketRingDevice (AF_PACKET) instead.");
            throw new IOException($"socket(AF_XDP, SOCK_RAW) failed: {LinuxNative.Describe(errno)}.");
        }

        byte* umem = null;
        nuint umemLength = 0;
        int promiscuousFd = -1;
        XdpInterfaceProgram? program = null;
        XdpRing fill = default, completion = default, rx = default, tx = default;
        try
        {
            int interfaceMtu = ReadMtu(interfaceName);
            int mtu = options.Mtu ?? interfaceMtu;
            if (mtu > XdpDeviceOptions.MaxMtu)
                throw new ArgumentException($"'{interfaceName}' has an MTU of {interfaceMtu}, above the {XdpDeviceOptions.MaxMtu} an AF_XDP chunk holds: lower the interface's MTU or set XdpDeviceOptions.Mtu.", nameof(options));
            int chunkSize = XdpDeviceOptions.ChunkSizeFor(mtu + DeviceCapabilities.FrameOverhead);
            if (chunkSize > Environment.SystemPageSize) chunkSize = Environment.SystemPageSize;
            uint ringSize = (uint)options.RingSize;
            int chunks = 2 * options.RingSize;

            // The UMEM: page-aligned (mmap), populated now so the kernel pins it in one go.
            umemLength = (nuint)((long)chunks * chunkSize);
            void* mapped = LinuxNative.Mmap(null, umemLength, LinuxNative.PROT_READ | LinuxNative.PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | LinuxNative.MAP_POPULATE, -1, 0);
            if (mapped == (void*)-1)
                throw new IOException($"Setting up AF_XDP failed: mmap of the UMEM ({umemLength} bytes) was refused with {LinuxNative.Describe(LinuxNative.LastError)}; a smaller XdpDeviceOptions.RingSize needs less memory.");
            umem = (byte*)mapped;
            var registration = new XdpUmemReg { Address = (ulong)umem, Length = umemLength, ChunkSize = (uint)chunkSize, Headroom = 0 };
            if (LinuxNative.SetSockOpt(fd, SOL_XDP, XDP_UMEM_REG, &registration, (uint)sizeof(XdpUmemReg)) != 0)
            {
                int errno = LinuxNative.LastError;
                if (errno is ENOMEM or LinuxNative.EPERM or LinuxNative.ENOBUFS)
                    throw new IOException($"The kernel would not pin the {umemLength}-byte UMEM ({LinuxNative.Describe(errno)}): it counts against RLIMIT_MEMLOCK. Raise the limit (ulimit -l unlimited; LimitMEMLOCK=infinity for a systemd service; or grant CAP_IPC_LOCK) or lower XdpDeviceOptions.RingSize.");
                throw SetupRefused("setsockopt(XDP_UMEM_REG)", errno, $" ({chunks} chunks of {chunkSize} bytes)");
            }
            SetRingSize(fd, XDP_UMEM_FILL_RING, ringSize, "XDP_UMEM_FILL_RING");
            SetRingSize(fd, XDP_UMEM_COMPLETION_RING, ringSize, "XDP_UMEM_COMPLETION_RING");
            SetRingSize(fd, XDP_RX_RING, ringSize, "XDP_RX_RING");
            SetRingSize(fd, XDP_TX_RING, ringSize, "XDP_TX_RING");

            XdpMmapOffsets offsets;
            uint offsetsLength = (uint)sizeof(XdpMmapOffsets);
            if (LinuxNative.GetSockOpt(fd, SOL_XDP, XDP_MMAP_OFFSETS, &offsets, &offsetsLength) != 0)
                throw SetupRefused("getsockopt(XDP_MMAP_OFFSETS)", LinuxNative.LastError, "");
            if (offsetsLength != sizeof(XdpMmapOffsets))
                throw new PlatformNotSupportedException($"This kernel's AF_XDP rings have no flags word (XDP_MMAP_OFFSETS returned {offsetsLength} bytes, not {sizeof(XdpMmapOffsets)}): Wirestack needs Linux 5.4 or later for AF_XDP.");
            fill = XdpRing.Map(fd, offsets.Fill, ringSize, sizeof(ulong), XDP_UMEM_PGOFF_FILL_RING, isProducer: true, "fill");
            completion = XdpRing.Map(fd, offsets.Completion, ringSize, sizeof(ulong), XDP_UMEM_PGOFF_COMPLETION_RING, isProducer: false, "completion");
            rx = XdpRing.Map(fd, offsets.Rx, ringSize, sizeof(XdpDesc), XDP_PGOFF_RX_RING, isProducer: false, "receive");
            tx = XdpRing.Map(fd, offsets.Tx, ringSize, sizeof(XdpDesc), XDP_PGOFF_TX_RING, isProducer: true, "transmit");

            // The first half of the chunks receive, the second half transmit.
            for (int i = 0; i < options.RingSize; i++)
            {
                fill.NextAddress = (ulong)i * (ulong)chunkSize;
                fill.Produce();
            }
            fill.Submit();
            var freeTransmit = new ulong[options.RingSize];
            for (int i = 0; i < options.RingSize; i++) freeTransmit[i] = (ulong)(options.RingSize + options.RingSize - 1 - i) * (ulong)chunkSize;

            program = XdpInterfaceProgram.Acquire(interfaceName, (int)index, options, ownerPid);
            bool zeroCopy = Bind(fd, interfaceName, index, options, program.Mode);
            bool needWakeup = options.UseNeedWakeup;
            program.Register(options.QueueId, fd);

            if (options.Promiscuous) promiscuousFd = HoldPromiscuous(interfaceName, index);

            return new XdpDevice(interfaceName, fd, umem, umemLength, chunkSize, mtu, options, zeroCopy, needWakeup,
                promiscuousFd, program, fill, completion, rx, tx, freeTransmit);
        }
        catch
        {
            program?.Release();
            if (promiscuousFd >= 0) LinuxNative.Close(promiscuousFd);
            fill.Unmap();
            completion.Unmap();
            rx.Unmap();
            tx.Unmap();
            LinuxNative.Close(fd);
            if (umem != null) LinuxNative.Munmap(umem, umemLength);
            throw;
        }
    }

    /// <inheritdoc />
    public int Receive()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int room = _batchSize - _lentCount;
        if (room == 0) return _lentCount;
        uint available = _rx.Available;
        if (available == 0)
        {
            // Zero-copy drivers may stop filling until poked once the fill ring ran dry.
            if (UsesNeedWakeup && _fill.NeedsWakeup)
            {
                XdpNative.RecvFrom(_fd, null, 0, MSG_DONTWAIT, null, null);
                _receiveSystemCalls++;
            }
            return _lentCount;
        }
        uint take = Math.Min(available, (uint)room);
        bool recycled = false;
        for (uint i = 0; i < take; i++)
        {
            ref var descriptor = ref _rx.DescriptorAt(i);
            ulong address = descriptor.Address;
            int length = (int)descriptor.Length;
            if (length < EthernetHeaderLength || length > _maxFrameLength || address + (ulong)length > _umemLength)
            {
                Counters.ReceiveDroppedField++; // longer than a slot (the interface's MTU is above ours), or runt
                _fill.NextAddress = address & _chunkMask;
                _fill.Produce();
                recycled = true;
                continue;
            }
            int entry = _lentFirst + _lentCount;
            if (entry >= _batchSize) entry -= _batchSize;
            _lentAddress[entry] = address;
            _lentLength[entry] = length;
            _lentCount++;
            Counters.ReceivedFramesField++;
            Counters.ReceivedBytesField += length;
        }
        _rx.Consume(take);
        if (recycled) _fill.Submit();
        // The kernel's drop counts come by getsockopt; under steady load there is no idle wait to
        // read them in, so read them every so many batches too.
        if (++_batchesSinceStatistics == StatisticsInterval) CollectKernelDrops();
        return _lentCount;
    }

    /// <inheritdoc />
    public ReadOnlySpan<byte> GetReceived(int index)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_lentCount, nameof(index));
        int entry = _lentFirst + index;
        if (entry >= _batchSize) entry -= _batchSize;
        return new ReadOnlySpan<byte>(_umem + _lentAddress[entry], _lentLength[entry]);
    }

    /// <inheritdoc />
    public void ReleaseReceived(int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)_lentCount, nameof(count));
        if (count == 0) return;
        // The fill ring has room: it holds every receive chunk, and these are out of it.
        for (int i = 0; i < count; i++)
        {
            _fill.NextAddress = _lentAddress[_lentFirst] & _chunkMask;
            _fill.Produce();
            if (++_lentFirst == _batchSize) _lentFirst = 0;
        }
        _lentCount -= count;
        _fill.Submit();
    }

    /// <inheritdoc />
    public bool TryGetTransmitSlot(out Span<byte> slot)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_slotLent)
            throw new InvalidOperationException("A transmit slot is already lent; commit it with CommitTransmit before asking for another.");
        if (_freeTransmitCount == 0) ReclaimCompleted();
        // No need to look at the transmit ring's room: a descriptor in it holds a chunk that has not
        // completed yet, so while a chunk is free the ring has room for it.
        if (_freeTransmitCount == 0)
        {
            slot = default;
            return false;
        }
        slot = new Span<byte>(_umem + _freeTransmit[_freeTransmitCount - 1], _maxFrameLength);
        _slotLent = true;
        return true;
    }

    /// <inheritdoc />
    public void CommitTransmit(int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_slotLent)
            throw new InvalidOperationException("No transmit slot is lent; call TryGetTransmitSlot first.");
        if (length < EthernetHeaderLength || length > _maxFrameLength)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"A frame must be {EthernetHeaderLength} (an Ethernet header) to {_maxFrameLength} bytes (the slot size).");
        ref var descriptor = ref _tx.NextDescriptor;
        descriptor.Address = _freeTransmit[--_freeTransmitCount];
        descriptor.Length = (uint)length;
        descriptor.Options = 0;
        _tx.Produce();
        _unflushedFrames++;
        _unflushedBytes += length;
        _slotLent = false;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Publishes the committed descriptors with one store, then, when the kernel asks for it (always in
    /// copy mode, where sendto(2) does the sending), kicks it with sendto(2). A copy-mode kick sends at
    /// most 32 frames before the kernel returns EAGAIN, so a larger batch takes a few calls. When the
    /// kernel cannot take the frames now, the call is counted in <see cref="DeviceCounters.TransmitErrors"/>
    /// and the next flush kicks again; the frames stay queued in the ring.
    /// </remarks>
    public int Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int published = _unflushedFrames;
        if (published == 0 && !_kickPending) return 0;
        if (published > 0)
        {
            _tx.Submit();
            Counters.TransmittedFramesField += published;
            Counters.TransmittedBytesField += _unflushedBytes;
            _unflushedFrames = 0;
            _unflushedBytes = 0;
        }
        Kick();
        ReclaimCompleted();
        return published;
    }

    /// <inheritdoc />
    /// <remarks>Release lent frames before waiting when the receive batch is full; a wait with frames in the ring returns at once.</remarks>
    public bool WaitForReceive(TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_rx.Available > 0) return true;
        if (_kickPending) Kick();
        if (!_waiter.Wait(timeout))
        {
            CollectKernelDrops(); // an idle moment: bring the kernel's drop counts up to date
            return false;
        }
        return true;
    }

    /// <inheritdoc />
    public void Interrupt() => _waiter.Interrupt();

    /// <summary>Detaches the XDP program, leaves promiscuous mode, unmaps the rings and the UMEM and closes the socket. Safe to call more than once.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        CollectKernelDrops();
        _program.Release();
        if (_promiscuousFd >= 0) LinuxNative.Close(_promiscuousFd);
        _fill.Unmap();
        _completion.Unmap();
        _rx.Unmap();
        _tx.Unmap();
        LinuxNative.Close(_fd);
        LinuxNative.Munmap(_umem, _umemLength);
        _waiter.Dispose();
    }

    private void Kick()
    {
        _kickPending = false;
        if (UsesNeedWakeup && !_tx.NeedsWakeup) return;
        // Bounded: each call sends up to 32 frames in copy mode; a ring's worth needs RingSize / 32.
        for (int calls = 0; calls <= (int)(_tx.Size / 32) + 1 && _tx.Published > 0; calls++)
        {
            uint before = _tx.Published;
            nint sent = LinuxNative.SendTo(_fd, null, 0, MSG_DONTWAIT, null, 0);
            _transmitSystemCalls++;
            if (sent >= 0) return; // copy mode: everything was sent; zero-copy: the driver was woken
            int errno = LinuxNative.LastError;
            if (errno == LinuxNative.EAGAIN && _tx.Published < before) continue; // the 32-frame batch limit: go on
            // EAGAIN without progress (no socket buffer or completion slot now), EBUSY, ENOBUFS,
            // ENETDOWN: the frames wait in the ring for the next flush.
            Counters.TransmitErrorsField++;
            _kickPending = true;
            return;
        }
        if (_tx.Published > 0) _kickPending = true;
    }

    private void ReclaimCompleted()
    {
        uint done = _completion.Available;
        if (done == 0) return;
        for (uint i = 0; i < done; i++) _freeTransmit[_freeTransmitCount++] = _completion.AddressAt(i) & _chunkMask;
        _completion.Consume(done);
    }

    // XDP_STATISTICS counts since bind; the device adds what is new since the last look.
    private void CollectKernelDrops()
    {
        XdpStatistics now;
        uint size = (uint)sizeof(XdpStatistics);
        _batchesSinceStatistics = 0;
        if (LinuxNative.GetSockOpt(_fd, SOL_XDP, XDP_STATISTICS, &now, &size) != 0) return;
        Counters.ReceiveDroppedField += (long)(now.RxDropped - _statistics.RxDropped + now.RxRingFull - _statistics.RxRingFull);
        Counters.TransmitDroppedField += (long)(now.TxInvalidDescriptors - _statistics.TxInvalidDescriptors);
        _statistics = now;
    }

    // Binds the socket to the queue; returns whether it is zero-copy.
    private static bool Bind(int fd, string interfaceName, uint index, XdpDeviceOptions options, XdpAttachMode programMode)
    {
        ushort wakeup = options.UseNeedWakeup ? XDP_USE_NEED_WAKEUP : (ushort)0;
        // Zero-copy means the driver's own XDP path; behind a generic program frames are copied anyway.
        if (options.CopyMode == XdpCopyMode.ZeroCopy && programMode != XdpAttachMode.Native)
            throw new IOException($"Zero-copy needs the XDP program in native mode, and the driver of '{interfaceName}' only took it in generic mode: use XdpCopyMode.Copy or Auto.");
        if (options.CopyMode != XdpCopyMode.Copy && programMode == XdpAttachMode.Native)
        {
            int errno = BindOnce(fd, index, (uint)options.QueueId, (ushort)(XDP_ZEROCOPY | wakeup));
            if (errno == 0) return true;
            // EOPNOTSUPP (or EINVAL on older kernels): this driver has no zero-copy; fall back to copying.
            if (options.CopyMode == XdpCopyMode.ZeroCopy || errno is not (EOPNOTSUPP or LinuxNative.EINVAL))
                throw BindRefused(interfaceName, options, errno, " in zero-copy mode");
        }
        int copyErrno = BindOnce(fd, index, (uint)options.QueueId, (ushort)(XDP_COPY | wakeup));
        if (copyErrno != 0) throw BindRefused(interfaceName, options, copyErrno, "");
        return false;
    }

    // The kernel frees a closed socket's hold on its queue in a work item, after close(2) returns:
    // a device reopened on the queue it just left may find it busy for a moment, so EBUSY is retried
    // for a short while before it is taken to mean another socket holds the queue.
    private static int BindOnce(int fd, uint index, uint queue, ushort flags)
    {
        var address = new SockaddrXdp { Family = AF_XDP, Flags = flags, InterfaceIndex = index, QueueId = queue };
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); ; Thread.Sleep(5))
        {
            if (LinuxNative.Bind(fd, &address, (uint)sizeof(SockaddrXdp)) == 0) return 0;
            int errno = LinuxNative.LastError;
            if (errno != EBUSY || waited.Elapsed > TimeSpan.FromMilliseconds(500)) return errno;
        }
    }

    private static Exception BindRefused(string interfaceName, XdpDeviceOptions options, int errno, string mode)
    {
        string step = $"bind to queue {options.QueueId} of '{interfaceName}'{mode}";
        return errno switch
        {
            EOPNOTSUPP when mode.Length > 0 => new IOException($"The driver of '{interfaceName}' does not support AF_XDP zero-copy ({step}: {LinuxNative.Describe(errno)}): use XdpCopyMode.Copy or Auto."),
            EBUSY => new IOException($"Queue {options.QueueId} of '{interfaceName}' already has an AF_XDP socket ({step}: {LinuxNative.Describe(errno)}): another process or device holds it; pick another XdpDeviceOptions.QueueId or close the other."),
            LinuxNative.EINVAL => new IOException($"{step} was refused with {LinuxNative.Describe(errno)}: check that '{interfaceName}' has a receive queue {options.QueueId} (ethtool -l {interfaceName}) and is up."),
            LinuxNative.ENODEV or ENXIO => new IOException($"no interface '{interfaceName}': it went away while opening ({LinuxNative.Describe(errno)})."),
            _ => SetupRefused(step, errno, ""),
        };
    }

    // A packet socket that receives nothing (protocol 0) but holds a promiscuous membership: the
    // kernel drops it when the socket closes, also when the process dies.
    private static int HoldPromiscuous(string interfaceName, uint index)
    {
        int fd = LinuxNative.Socket(LinuxNative.AF_PACKET, LinuxNative.SOCK_RAW | LinuxNative.SOCK_CLOEXEC, 0);
        if (fd < 0) throw SetupRefused("socket(AF_PACKET) for promiscuous mode", LinuxNative.LastError, "");
        var membership = new PacketNative.PacketMreq { InterfaceIndex = (int)index, Type = PacketNative.PACKET_MR_PROMISC };
        if (LinuxNative.SetSockOpt(fd, PacketNative.SOL_PACKET, PacketNative.PACKET_ADD_MEMBERSHIP, &membership, (uint)sizeof(PacketNative.PacketMreq)) != 0)
        {
            int errno = LinuxNative.LastError;
            LinuxNative.Close(fd);
            throw SetupRefused($"putting '{interfaceName}' in promiscuous mode (PACKET_ADD_MEMBERSHIP)", errno, "");
        }
        return fd;
    }

    // An AF_XDP socket answers no interface ioctl; an ordinary datagram socket does.
    private static int ReadMtu(string interfaceName)
    {
        int fd = LinuxNative.Socket(LinuxNative.AF_INET, LinuxNative.SOCK_DGRAM | LinuxNative.SOCK_CLOEXEC, 0);
        if (fd < 0) throw SetupRefused("socket(AF_INET) to read the MTU", LinuxNative.LastError, "");
        try
        {
            PacketNative.IfReqMtu request = default;
            Encoding.UTF8.GetBytes(interfaceName, new Span<byte>(request.Name, 16));
            if (LinuxNative.Ioctl(fd, PacketNative.SIOCGIFMTU, &request) != 0)
                throw SetupRefused($"ioctl(SIOCGIFMTU) on '{interfaceName}'", LinuxNative.LastError, "");
            return request.Mtu;
        }
        finally
        {
            LinuxNative.Close(fd);
        }
    }

    private static void SetRingSize(int fd, int option, uint size, string name)
    {
        if (LinuxNative.SetSockOpt(fd, SOL_XDP, option, &size, sizeof(uint)) != 0)
            throw SetupRefused($"setsockopt({name}, {size})", LinuxNative.LastError, "");
    }

    private static IOException SetupRefused(string step, int errno, string detail) =>
        new($"Setting up AF_XDP failed: {step} was refused with {LinuxNative.Describe(errno)}{detail}.");
}
