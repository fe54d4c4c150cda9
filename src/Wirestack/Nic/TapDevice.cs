using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wirestack.Nic.Linux;
using Wirestack.Wire;

namespace Wirestack.Nic;

/// <summary>
/// A Linux TAP interface (<c>/dev/net/tun</c>, <c>IFF_TAP | IFF_NO_PI</c>): the kernel sees an
/// Ethernet interface, and every frame it sends on it is read here, while every frame written here
/// arrives at the kernel as if received on that interface. The kernel hands over one frame per
/// read and takes one per write, so <see cref="Receive"/> and <see cref="Flush"/> make one system
/// call per frame; the rings are pinned managed memory. With <see cref="TapDeviceOptions.Offloads"/> a frame
/// carries a TCP segment of up to 64 KiB that the kernel cut, or will cut, to the MTU (see <see cref="FrameOffload"/>). Needs root or CAP_NET_ADMIN, unless it
/// attaches to a TAP interface made for the user that already has the wanted MTU and is up.
/// </summary>
/// <remarks>
/// The descriptor stays valid when the interface is moved to another network namespace
/// (<c>ip link set NAME netns NS</c>), which is how tests put the kernel's stack on the other side.
/// </remarks>
public sealed unsafe class TapDevice : INetworkDevice
{
    private readonly int _fd;
    private readonly ReadinessWaiter _waiter;
    private readonly int _maxFrameLength;
    // Offloads on: each slot starts with a virtio_net_hdr, and frames may be as long as the largest IP packet.
    private readonly int _headerLength;
    private readonly int _slotFrameLength;
    private readonly FrameOffload[] _receiveOffloads;
    private readonly FrameOffload[] _transmitOffloads;
    private readonly int _stride;
    private readonly byte[] _receiveMemory;
    private readonly byte* _receiveBase;
    private readonly int[] _receiveLengths;
    private readonly int _receiveSlots;
    private readonly byte[] _transmitMemory;
    private readonly byte* _transmitBase;
    private readonly int[] _transmitLengths;
    private readonly int _transmitSlots;
    private int _receiveHead;
    private int _lent;
    private int _transmitHead;
    private int _pending;
    private bool _slotLent;
    private int _disposed;

    /// <summary>Creates the TAP interface <paramref name="options"/> names, or attaches to it; sets its MTU and brings it up.</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    /// <exception cref="UnauthorizedAccessException">The process lacks root or CAP_NET_ADMIN for what it asked.</exception>
    /// <exception cref="IOException">
    /// <c>/dev/net/tun</c> is missing, the name belongs to a device that is not a TAP device or to a
    /// TAP device open elsewhere, or the kernel refused the MTU.
    /// </exception>
    public TapDevice(TapDeviceOptions? options = null)
    {
        options ??= new TapDeviceOptions();
        options.Validate();

        _fd = LinuxNative.Open(TapNative.CloneDevicePath, LinuxNative.O_RDWR | LinuxNative.O_NONBLOCK | LinuxNative.O_CLOEXEC);
        if (_fd < 0) throw OpenFailure(LinuxNative.LastError);
        try
        {
            Name = Attach(_fd, options.Name, options.Offloads, options.MultiQueue, out bool udpSuperDatagrams);
            ReceivesUdpSuperDatagrams = udpSuperDatagrams;
            KernelMacAddress = Configure(Name, options.Mtu);
            _waiter = new ReadinessWaiter(_fd);
            // Last, so that a failure above leaves no interface behind that this call created.
            if (options.Persistent && LinuxNative.Ioctl(_fd, TapNative.TUNSETPERSIST, (void*)1) < 0)
                throw ConfigureFailure("making it persistent (TUNSETPERSIST)", Name, LinuxNative.LastError);
        }
        catch
        {
            _waiter?.Dispose();
            LinuxNative.Close(_fd);
            throw;
        }

        _maxFrameLength = options.Mtu + DeviceCapabilities.FrameOverhead;
        _headerLength = options.Offloads ? VirtioNetHeader.Length : 0;
        _slotFrameLength = options.Offloads ? MaxOffloadLength + DeviceCapabilities.FrameOverhead : _maxFrameLength;
        // One spare byte per slot: a read that fills it proves the frame was longer than a slot,
        // whether the kernel reports the full length or the truncated one. Cache-line aligned.
        _stride = (_headerLength + _slotFrameLength + 1 + 63) & ~63;
        _receiveSlots = options.ReceiveBatchSize;
        _transmitSlots = options.TransmitRingSize;
        _receiveMemory = GC.AllocateArray<byte>(_receiveSlots * _stride, pinned: true);
        _receiveBase = AddressOf(_receiveMemory);
        _transmitMemory = GC.AllocateArray<byte>(_transmitSlots * _stride, pinned: true);
        _transmitBase = AddressOf(_transmitMemory);
        _receiveLengths = new int[_receiveSlots];
        _transmitLengths = new int[_transmitSlots];
        _receiveOffloads = new FrameOffload[options.Offloads ? _receiveSlots : 0];
        _transmitOffloads = new FrameOffload[options.Offloads ? _transmitSlots : 0];
        Capabilities = new DeviceCapabilities
        {
            Mtu = options.Mtu,
            ReceiveRingSize = _receiveSlots,
            TransmitRingSize = _transmitSlots,
            ReceiveBatchSize = _receiveSlots,
            // The kernel fills and checks every checksum on a TAP interface without offloads.
            ReceiveChecksums = ChecksumOffload.None,
            TransmitChecksums = ChecksumOffload.None,
            MaxOffloadLength = options.Offloads ? MaxOffloadLength : 0,
        };
    }

    /// <summary>The largest IP packet (IPv4's total length field) a frame carries with offloads on.</summary>
    public const int MaxOffloadLength = 65535;

    /// <summary>The interface's name: the one asked for, or the one the kernel picked.</summary>
    public string Name { get; }

    /// <summary>
    /// Whether the kernel hands over UDP super-datagrams (USO: a local sender's UDP GSO, whole), which the Interface
    /// takes apart (<see cref="FrameOffload.UdpSegments"/>): with <see cref="TapDeviceOptions.Offloads"/> on Linux 6.2
    /// and later.
    /// </summary>
    internal bool ReceivesUdpSuperDatagrams { get; }

    /// <summary>
    /// The kernel side's MAC address (SIOCGIFHWADDR) as it was when the device was opened: the
    /// destination for frames addressed to the kernel's stack. The stack behind this device should
    /// use a different address of its own.
    /// </summary>
    public MacAddress KernelMacAddress { get; }

    /// <inheritdoc />
    public DeviceCapabilities Capabilities { get; }

    /// <inheritdoc />
    public DeviceCounters Counters { get; } = new();

    /// <inheritdoc />
    /// <remarks>
    /// Reads until the kernel has nothing more (EAGAIN) or the batch is full. A frame longer than
    /// a slot counts as <see cref="DeviceCounters.ReceiveDropped"/>; a failed read as
    /// <see cref="DeviceCounters.ReceiveErrors"/>.
    /// </remarks>
    /// <exception cref="IOException">The interface was deleted while open (EBADFD): the device is dead.</exception>
    public int Receive()
    {
        ThrowIfDisposed();
        while (_lent < _receiveSlots)
        {
            int slot = Wrap(_receiveHead + _lent, _receiveSlots);
            byte* start = _receiveBase + (nint)slot * _stride;
            nint read = LinuxNative.Read(_fd, start, _headerLength + _slotFrameLength + 1);
            if (read < 0)
            {
                int errno = LinuxNative.LastError;
                if (errno == LinuxNative.EINTR) continue;
                if (errno == LinuxNative.EAGAIN) break;
                Counters.ReceiveErrorsField++;
                if (errno == TapNative.EBADFD) throw Deleted(errno);
                break;
            }
            if (read == 0) break;
            read -= _headerLength;
            if (read > _slotFrameLength || read < 0)
            {
                // Longer than a slot (the interface's MTU was raised behind the device's back): the
                // kernel has already dropped the rest, so the frame is lost either way.
                Counters.ReceiveDroppedField++;
                continue;
            }
            if (_headerLength != 0 && !VirtioNetHeader.TryRead(new ReadOnlySpan<byte>(start, _headerLength), out _receiveOffloads[slot]))
            {
                // Coalesced from IP fragments (UFO) or in a way the stack cannot take apart: not asked for (TUNSETOFFLOAD), so
                // not expected.
                Counters.ReceiveDroppedField++;
                continue;
            }
            _receiveLengths[slot] = (int)read;
            Counters.ReceivedFramesField++;
            Counters.ReceivedBytesField += read;
            _lent++;
        }
        return _lent;
    }

    /// <inheritdoc />
    public ReadOnlySpan<byte> GetReceived(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_lent, nameof(index));
        int slot = Wrap(_receiveHead + index, _receiveSlots);
        return _receiveMemory.AsSpan(slot * _stride + _headerLength, _receiveLengths[slot]);
    }

    /// <inheritdoc />
    /// <remarks>
    /// With offloads on, a frame whose checksum the kernel left partial (it came from the kernel's own stack and
    /// was never on a wire) or marked checked reports <see cref="FrameOffload.TransportChecksumTrusted"/>.
    /// </remarks>
    public ReadOnlySpan<byte> GetReceived(int index, out FrameOffload offload)
    {
        var frame = GetReceived(index);
        offload = _headerLength == 0 ? FrameOffload.None : _receiveOffloads[Wrap(_receiveHead + index, _receiveSlots)];
        return frame;
    }

    /// <inheritdoc />
    public void ReleaseReceived(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)_lent, nameof(count));
        _receiveHead = Wrap(_receiveHead + count, _receiveSlots);
        _lent -= count;
    }

    /// <inheritdoc />
    public bool TryGetTransmitSlot(out Span<byte> slot)
    {
        ThrowIfDisposed();
        if (_slotLent)
            throw new InvalidOperationException("A transmit slot is already lent; commit it with CommitTransmit before asking for another.");
        if (_pending == _transmitSlots)
        {
            slot = default;
            return false;
        }
        slot = _transmitMemory.AsSpan(Wrap(_transmitHead + _pending, _transmitSlots) * _stride + _headerLength, _slotFrameLength);
        _slotLent = true;
        return true;
    }

    /// <inheritdoc />
    public void CommitTransmit(int length) => CommitTransmit(length, FrameOffload.None);

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">Offloads are off and <paramref name="offload"/> asks for segmentation.</exception>
    public void CommitTransmit(int length, in FrameOffload offload)
    {
        if (!_slotLent)
            throw new InvalidOperationException("No transmit slot is lent; call TryGetTransmitSlot first.");
        int max = offload.SegmentSize != 0 ? _slotFrameLength : _maxFrameLength;
        if (offload.SegmentSize != 0 && _headerLength == 0)
            throw new NotSupportedException($"TAP device '{Name}' was opened without offloads, so it does not segment; set TapDeviceOptions.Offloads, or send MTU-sized frames.");
        if (length < 0 || length > max)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"A frame must be 0 to {max} bytes (the {(offload.SegmentSize != 0 ? "offload" : "MTU")} limit).");
        int slot = Wrap(_transmitHead + _pending, _transmitSlots);
        _transmitLengths[slot] = length;
        if (_headerLength != 0) _transmitOffloads[slot] = offload;
        _pending++;
        _slotLent = false;
    }

    /// <inheritdoc />
    /// <remarks>
    /// One write per frame: TAP has no batch write. A frame the kernel refuses for now (EAGAIN,
    /// ENOBUFS) counts as <see cref="DeviceCounters.TransmitDropped"/>; any other failure (EIO while
    /// the interface is down, EINVAL for a frame shorter than an Ethernet header) also as
    /// <see cref="DeviceCounters.TransmitErrors"/>. Either way the rest of the batch goes on.
    /// </remarks>
    /// <exception cref="IOException">The interface was deleted while open (EBADFD): the device is dead.</exception>
    public int Flush()
    {
        ThrowIfDisposed();
        int written = 0;
        for (int i = 0; i < _pending; i++)
        {
            int slot = Wrap(_transmitHead + i, _transmitSlots);
            int length = _transmitLengths[slot];
            byte* start = _transmitBase + (nint)slot * _stride;
            if (_headerLength != 0)
                VirtioNetHeader.Write(new Span<byte>(start, _headerLength), new ReadOnlySpan<byte>(start + _headerLength, length), _transmitOffloads[slot]);
            nint result;
            do
            {
                result = LinuxNative.Write(_fd, start, _headerLength + length);
            }
            while (result < 0 && LinuxNative.LastError == LinuxNative.EINTR);
            if (result < 0)
            {
                int errno = LinuxNative.LastError;
                Counters.TransmitDroppedField++;
                if (errno == LinuxNative.EAGAIN || errno == LinuxNative.ENOBUFS) continue;
                Counters.TransmitErrorsField++;
                if (errno == TapNative.EBADFD)
                {
                    _transmitHead = Wrap(_transmitHead + _pending, _transmitSlots);
                    Counters.TransmitDroppedField += _pending - i - 1;
                    _pending = 0;
                    throw Deleted(errno);
                }
            }
            Counters.TransmittedFramesField++;
            Counters.TransmittedBytesField += length;
            written++;
        }
        _transmitHead = Wrap(_transmitHead + _pending, _transmitSlots);
        _pending = 0;
        return written;
    }

    /// <inheritdoc />
    public bool WaitForReceive(TimeSpan timeout)
    {
        ThrowIfDisposed();
        return _waiter.Wait(timeout);
    }

    /// <inheritdoc />
    public void Interrupt()
    {
        if (Volatile.Read(ref _disposed) == 0) _waiter.Interrupt();
    }

    /// <summary>Closes the descriptor; the kernel then removes the interface unless it is persistent. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _waiter.Dispose();
        LinuxNative.Close(_fd);
    }

    /// <inheritdoc />
    public override string ToString() => $"TAP {Name} (mtu {Capabilities.Mtu})";

    internal static Exception OpenFailure(int errno) => errno switch
    {
        LinuxNative.ENOENT or LinuxNative.ENODEV or 6 /* ENXIO */ => new IOException(
            $"opening {TapNative.CloneDevicePath} failed: {LinuxNative.Describe(errno)}; load the tun module (modprobe tun), or in a container pass the device in (--device /dev/net/tun)."),
        LinuxNative.EACCES or LinuxNative.EPERM => new UnauthorizedAccessException(
            $"opening {TapNative.CloneDevicePath} failed: {LinuxNative.Describe(errno)}; run as root or grant CAP_NET_ADMIN (and give this user read-write access to {TapNative.CloneDevicePath}, normally mode 0666)."),
        _ => new IOException($"opening {TapNative.CloneDevicePath} failed: {LinuxNative.Describe(errno)}."),
    };

    internal static Exception AttachFailure(string? name, int errno, bool nameExists, bool multiQueue = false)
    {
        string what = string.IsNullOrEmpty(name) ? "creating a TAP device" : $"creating or attaching to TAP device '{name}'";
        if (multiQueue) what = string.IsNullOrEmpty(name) ? "creating a multi-queue TAP device" : $"creating or adding a queue to multi-queue TAP device '{name}'";
        return errno switch
        {
            LinuxNative.EINVAL when multiQueue && nameExists => new IOException(
                $"{what} failed: {LinuxNative.Describe(errno)}; a network device named '{name}' exists and is not a multi-queue TAP device (it is a single-queue TAP, a TUN device or another kind of interface). Choose another name, or delete it with `ip link delete {name}`."),
            TapNative.E2BIG when multiQueue => new IOException(
                $"{what} failed: {LinuxNative.Describe(errno)}; the device has the most queues the kernel allows (256)."),
            LinuxNative.EPERM or LinuxNative.EACCES => new UnauthorizedAccessException(
                $"{what} failed: {LinuxNative.Describe(errno)}; run as root or with CAP_NET_ADMIN (without it, only a TAP device made for your user, e.g. `ip tuntap add NAME mode tap user USER`, can be attached)."),
            TapNative.EBUSY => new IOException(
                $"{what} failed: {LinuxNative.Describe(errno)}; '{name}' is already open elsewhere and a single-queue TAP device takes one descriptor. Close the other user or choose another name."),
            LinuxNative.EINVAL when nameExists => new IOException(
                $"{what} failed: {LinuxNative.Describe(errno)}; a network device named '{name}' exists and is not a single-queue TAP device (it is another kind of interface, a TUN device or a multi-queue TAP). Choose another name, or delete it with `ip link delete {name}`."),
            LinuxNative.EINVAL => new IOException(
                $"{what} failed: {LinuxNative.Describe(errno)}; the kernel rejected the name '{name}' (at most one '%d' pattern is allowed)."),
            _ => new IOException($"{what} failed: {LinuxNative.Describe(errno)}."),
        };
    }

    internal static Exception ConfigureFailure(string what, string name, int errno) => errno switch
    {
        LinuxNative.EPERM or LinuxNative.EACCES => new UnauthorizedAccessException(
            $"TAP device '{name}': {what} failed: {LinuxNative.Describe(errno)}; run as root or with CAP_NET_ADMIN, or have an administrator set it up beforehand (`ip link set {name} mtu MTU up`)."),
        _ => new IOException($"TAP device '{name}': {what} failed: {LinuxNative.Describe(errno)}."),
    };

    // Spinning on a dead descriptor (poll reports it ready forever) helps nobody: say so once.
    private IOException Deleted(int errno) =>
        new($"TAP device '{Name}' was deleted while open ({LinuxNative.Describe(errno)}); dispose this device and create a new one.");

    /// <summary>
    /// Makes the kernel pick the transmit queue of every frame it sends on this (multi-queue) interface by running
    /// <paramref name="programFd"/>, a socket-filter program, and taking its answer modulo the number of queues
    /// (TUNSETSTEERINGEBPF). The program belongs to the interface, not to this queue: any queue's device sets it.
    /// </summary>
    /// <exception cref="IOException">The kernel refused the program.</exception>
    internal void AttachSteeringProgram(int programFd)
    {
        ThrowIfDisposed();
        if (LinuxNative.Ioctl(_fd, TapNative.TUNSETSTEERINGEBPF, &programFd) < 0)
            throw ConfigureFailure("attaching the flow steering program (TUNSETSTEERINGEBPF)", Name, LinuxNative.LastError);
    }

    // TUNSETIFF: creates the interface, or attaches this descriptor to an existing one of that name (with
    // IFF_MULTI_QUEUE: as one more queue). With offloads, every frame carries a virtio_net_hdr and the kernel may hand
    // over (and take) unfinished checksums and segments.
    private static string Attach(int fd, string? name, bool offloads, bool multiQueue, out bool udpSuperDatagrams)
    {
        udpSuperDatagrams = false;
        TapNative.IfReq request = default;
        request.SetName(name);
        request.Flags = (short)(TapNative.IFF_TAP | TapNative.IFF_NO_PI | (offloads ? TapNative.IFF_VNET_HDR : 0) | (multiQueue ? TapNative.IFF_MULTI_QUEUE : 0));
        if (LinuxNative.Ioctl(fd, TapNative.TUNSETIFF, &request) < 0)
        {
            int errno = LinuxNative.LastError;
            bool exists = !string.IsNullOrEmpty(name) && LinuxNative.IfNameToIndex(name) != 0;
            throw AttachFailure(name, errno, exists, multiQueue);
        }
        string attached = request.GetName();
        if (offloads)
        {
            int headerLength = VirtioNetHeader.Length;
            if (LinuxNative.Ioctl(fd, TapNative.TUNSETVNETHDRSZ, &headerLength) < 0)
                throw ConfigureFailure("setting the virtio_net_hdr length (TUNSETVNETHDRSZ)", attached, LinuxNative.LastError);
            // The argument is the flag word itself, not a pointer to it. UDP super-datagrams too where the kernel knows
            // them (USO, Linux 6.2): a local sender's UDP GSO then crosses whole and the Interface takes it apart, instead
            // of the kernel cutting it into a frame per datagram; older kernels refuse the flags (EINVAL).
            const uint tcp = TapNative.TUN_F_CSUM | TapNative.TUN_F_TSO4 | TapNative.TUN_F_TSO6;
            udpSuperDatagrams = LinuxNative.Ioctl(fd, TapNative.TUNSETOFFLOAD, (void*)(nuint)(tcp | TapNative.TUN_F_USO4 | TapNative.TUN_F_USO6)) == 0;
            if (!udpSuperDatagrams && (LinuxNative.LastError != LinuxNative.EINVAL || LinuxNative.Ioctl(fd, TapNative.TUNSETOFFLOAD, (void*)(nuint)tcp) < 0))
                throw ConfigureFailure("turning on checksum and TCP segmentation offloads (TUNSETOFFLOAD)", attached, LinuxNative.LastError);
        }
        return attached;
    }

    // MTU, IFF_UP and the MAC are interface ioctls on any socket of the interface's namespace.
    // Each is set only when it differs, so an interface prepared by an administrator works without
    // CAP_NET_ADMIN.
    private static MacAddress Configure(string name, int mtu)
    {
        int socket = LinuxNative.Socket(LinuxNative.AF_INET, LinuxNative.SOCK_DGRAM | LinuxNative.SOCK_CLOEXEC, 0);
        if (socket < 0)
            throw new IOException($"opening a socket to configure TAP device '{name}' failed: {LinuxNative.Describe(LinuxNative.LastError)}.");
        try
        {
            TapNative.IfReq request = default;
            request.SetName(name);
            if (LinuxNative.Ioctl(socket, TapNative.SIOCGIFMTU, &request) < 0)
                throw ConfigureFailure("reading the MTU (SIOCGIFMTU)", name, LinuxNative.LastError);
            if (request.Mtu != mtu)
            {
                request.Mtu = mtu;
                if (LinuxNative.Ioctl(socket, TapNative.SIOCSIFMTU, &request) < 0)
                {
                    int errno = LinuxNative.LastError;
                    if (errno == LinuxNative.EINVAL)
                        throw new IOException($"TAP device '{name}': setting MTU {mtu} failed: {LinuxNative.Describe(errno)}; the kernel takes 68 to {TapDeviceOptions.MaxMtu} on a TAP interface.");
                    throw ConfigureFailure($"setting MTU {mtu} (SIOCSIFMTU)", name, errno);
                }
            }

            request = default;
            request.SetName(name);
            if (LinuxNative.Ioctl(socket, TapNative.SIOCGIFFLAGS, &request) < 0)
                throw ConfigureFailure("reading the flags (SIOCGIFFLAGS)", name, LinuxNative.LastError);
            if ((request.Flags & TapNative.IFF_UP) == 0)
            {
                request.Flags |= TapNative.IFF_UP;
                if (LinuxNative.Ioctl(socket, TapNative.SIOCSIFFLAGS, &request) < 0)
                    throw ConfigureFailure("bringing it up (SIOCSIFFLAGS)", name, LinuxNative.LastError);
            }

            request = default;
            request.SetName(name);
            if (LinuxNative.Ioctl(socket, TapNative.SIOCGIFHWADDR, &request) < 0)
                throw ConfigureFailure("reading the MAC address (SIOCGIFHWADDR)", name, LinuxNative.LastError);
            return MacAddress.Read(new ReadOnlySpan<byte>(request.HardwareAddress, MacAddress.Length));
        }
        finally
        {
            LinuxNative.Close(socket);
        }
    }

    // The arrays are allocated pinned, so their addresses hold for the device's life.
    private static byte* AddressOf(byte[] pinned) => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Wrap(int index, int size) => index >= size ? index - size : index;

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
