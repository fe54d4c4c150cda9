using System.Buffers.Binary;
using System.Text;
using Wirestack.Nic.Linux;
using static Wirestack.Nic.Linux.PacketNative;

namespace Wirestack.Nic;

/// <summary>
/// A Linux network interface through an AF_PACKET socket with PACKET_MMAP rings: the kernel writes
/// received frames straight into a receive ring this process has mapped, and sends frames this
/// process writes into a mapped transmit ring, one sendto(2) for a whole batch. Frames are read and
/// written in place; nothing is copied between the kernel and the stack.
/// </summary>
/// <remarks>
/// <para>
/// Both rings use TPACKET_V2. TPACKET_V3 packs received frames of any size into large blocks that
/// the kernel hands over only when a block is full or its retire timeout expires: that adds up to
/// the timeout in latency to a lone frame, and a block of variable-size frames is not the fixed-slot
/// ring the NIC contract lends from. V2 gives one fixed-size slot per frame with a status word the
/// kernel flips the moment the frame is written, which is exactly the netmap shape; and V3's
/// transmit ring is refused anyway unless its retire timeout is 0.
/// </para>
/// <para>
/// The socket listens to every protocol on one interface, in promiscuous mode by default (the stack
/// uses its own MAC address, not the interface's), and ignores frames this host sends
/// (PACKET_IGNORE_OUTGOING; on kernels without it, such frames are skipped by their packet type).
/// Transmitted frames skip the queueing discipline by default, except where the kernel must cut the device's
/// super-segments in software, see <see cref="PacketRingDeviceOptions.BypassQueueingDiscipline"/>.
/// </para>
/// <para>
/// With <see cref="PacketRingDeviceOptions.Offloads"/> every ring frame is 64 KiB and starts with a virtio_net_hdr
/// (PACKET_VNET_HDR, which the kernel supports on TPACKET_V2's receive and transmit rings since Linux 4.6): received
/// TCP super-segments arrive whole with their segment size and checksum state, and a transmitted one is cut to the MTU
/// by the kernel (see <see cref="FrameOffload"/>), so the interface keeps its TSO, GSO and GRO on. On an interface
/// without TSO the kernel cuts such a segment in software (GSO), as it does for its own TCP: the frames on the link
/// are MTU-sized either way, and the kernel hands them to the driver in one go.
/// </para>
/// <para>
/// Frames the ring had to truncate (also in <see cref="TruncatedFrames"/>), and frames the kernel dropped
/// because the receive ring was full, are counted in <see cref="DeviceCounters.ReceiveDropped"/>. Frames whose
/// transport checksum the kernel left partial or already checked (on a veth with the kernel's default
/// offloads) are reported as checksum-trusted, see <see cref="GetReceived(int, out FrameOffload)"/>. A frame the kernel refuses to send
/// (say, longer than the interface's MTU) is counted in <see cref="DeviceCounters.TransmitDropped"/>
/// and the frames behind it still go out, in order. Needs CAP_NET_RAW (root).
/// </para>
/// </remarks>
public sealed unsafe partial class PacketRingDevice : INetworkDevice
{
    private const int EthernetHeaderLength = 14;
    private const int VlanTagLength = 4;
    private const int SolSocket = 1;
    private const int SoError = 4;

    private readonly int _fd;
    private readonly int _interfaceIndex;
    private readonly byte* _mapping;
    private readonly nuint _mappingLength;
    private readonly byte* _receiveRing;
    private readonly byte* _transmitRing;
    private readonly int _frameSize;
    private readonly int _ringSize;
    private readonly int _ringMask;
    private readonly int _batchSize;
    private readonly int _maxFrameLength;
    // Offloads on: each frame's bytes follow a virtio_net_hdr of this length, and segments may be this long.
    private readonly int _headerLength;
    private readonly int _maxOffloadFrameLength;
    private bool _skipOutgoing;
    private readonly bool _promiscuous;
    private readonly ReadinessWaiter _waiter;

    // Frames lent by Receive, oldest first, in a circular list of ReceiveBatchSize entries: their
    // ring sequence number, and where the frame starts in its slot and how long it is. The list is
    // needed because skipped frames can sit between lent ones.
    private readonly long[] _lentSequence;
    private readonly int[] _lentOffset;
    private readonly int[] _lentLength;
    private readonly FrameOffload[] _lentOffload;
    private int _lentFirst;
    private int _lentCount;
    private long _receiveNext;

    private long _transmitNext;
    private bool _slotLent;
    private int _unflushedFrames;
    private long _unflushedBytes;
    private bool _retryFlush;
    private bool _refusedFramePending;
    private long _transmitSystemCalls;
    private bool _disposed;
    private long _truncatedFrames;

    private PacketRingDevice(string interfaceName, int fd, int interfaceIndex, byte* mapping, nuint mappingLength, PacketRingGeometry geometry, int mtu, PacketRingDeviceOptions options, bool skipOutgoing, bool bypassesQueueingDiscipline, bool segments)
    {
        InterfaceName = interfaceName;
        _fd = fd;
        _interfaceIndex = interfaceIndex;
        _mapping = mapping;
        _mappingLength = mappingLength;
        _receiveRing = mapping;
        _transmitRing = mapping + geometry.RingBytes;
        _frameSize = geometry.FrameSize;
        _ringSize = options.RingSize;
        _ringMask = options.RingSize - 1;
        _batchSize = options.ReceiveBatchSize;
        _maxFrameLength = mtu + DeviceCapabilities.FrameOverhead;
        _skipOutgoing = skipOutgoing;
        BypassesQueueingDiscipline = bypassesQueueingDiscipline;
        _promiscuous = options.Promiscuous;
        _lentSequence = new long[_batchSize];
        _lentOffset = new int[_batchSize];
        _lentLength = new int[_batchSize];
        _lentOffload = new FrameOffload[_batchSize];
        _headerLength = options.Offloads ? VirtioNetHeader.Length : 0;
        _maxOffloadFrameLength = options.Offloads ? PacketRingGeometry.MaxOffloadFrameLength : 0;
        _waiter = new ReadinessWaiter(fd);
        Capabilities = new DeviceCapabilities
        {
            Mtu = mtu,
            ReceiveRingSize = options.RingSize,
            TransmitRingSize = options.RingSize,
            ReceiveBatchSize = options.ReceiveBatchSize,
            MaxOffloadLength = segments ? PacketRingGeometry.MaxOffloadFrameLength - DeviceCapabilities.FrameOverhead : 0,
        };
    }

    /// <summary>The interface the device is bound to.</summary>
    public string InterfaceName { get; }

    /// <summary>
    /// Whether transmitted frames skip the interface's queueing discipline (PACKET_QDISC_BYPASS), as
    /// <see cref="PacketRingDeviceOptions.BypassQueueingDiscipline"/> asked or the device chose.
    /// </summary>
    public bool BypassesQueueingDiscipline { get; }

    /// <summary>sendto(2) calls made so far: one per <see cref="Flush"/> with frames to send, plus retries after a refusal or a full queue.</summary>
    public long TransmitSystemCalls => Volatile.Read(ref _transmitSystemCalls);

    /// <summary>
    /// Received frames the kernel cut short to fit a ring slot (tp_snaplen below tp_len), also counted in
    /// <see cref="DeviceCounters.ReceiveDropped"/>. On a veth whose peer has TSO or GSO on, these are the peer's
    /// super-segments: open the device with <see cref="PacketRingDeviceOptions.Offloads"/>, or turn those offloads off on
    /// the peer (<c>ethtool -K PEER tso off gso off</c>). With offloads on, only a segment longer than a 64 KiB ring frame
    /// holds (<see cref="DeviceCapabilities.MaxOffloadLength"/>) is cut short.
    /// </summary>
    public long TruncatedFrames => Volatile.Read(ref _truncatedFrames);

    /// <inheritdoc />
    public DeviceCapabilities Capabilities { get; }

    /// <inheritdoc />
    public DeviceCounters Counters { get; } = new();

    /// <summary>Opens <paramref name="interfaceName"/> (which must exist) with rings sized by <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">The name or an option is out of range.</exception>
    /// <exception cref="UnauthorizedAccessException">The process lacks CAP_NET_RAW.</exception>
    /// <exception cref="IOException">The interface does not exist, or the kernel refused part of the setup (the message names the step and errno).</exception>
    public static PacketRingDevice Open(string interfaceName, PacketRingDeviceOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(interfaceName);
        if (Encoding.UTF8.GetByteCount(interfaceName) > 15)
            throw new ArgumentException($"'{interfaceName}' is longer than the 15 bytes Linux allows in an interface name.", nameof(interfaceName));
        options ??= new PacketRingDeviceOptions();
        options.Validate();

        uint index = LinuxNative.IfNameToIndex(interfaceName);
        if (index == 0)
            throw new IOException($"no interface '{interfaceName}': create it or check the name ({LinuxNative.Describe(LinuxNative.LastError)}).");

        // Protocol 0: the socket receives nothing until bind names the interface, so no frame from
        // another interface lands in the ring in between.
        int fd = LinuxNative.Socket(LinuxNative.AF_PACKET, LinuxNative.SOCK_RAW | LinuxNative.SOCK_NONBLOCK | LinuxNative.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            int errno = LinuxNative.LastError;
            if (errno is LinuxNative.EPERM or LinuxNative.EACCES)
                throw new UnauthorizedAccessException($"AF_PACKET needs CAP_NET_RAW: run as root (or grant the capability) to open '{interfaceName}' ({LinuxNative.Describe(errno)}).");
            throw new IOException($"socket(AF_PACKET, SOCK_RAW) failed: {LinuxNative.Describe(errno)}.");
        }

        byte* mapping = null;
        nuint mappingLength = 0;
        try
        {
            int interfaceMtu = ReadMtu(fd, interfaceName);
            int mtu = options.Mtu ?? interfaceMtu;
            if (options.Offloads && mtu + DeviceCapabilities.FrameOverhead > PacketRingGeometry.MaxOffloadFrameLength)
                throw new ArgumentException($"An MTU of {mtu} does not fit the 64 KiB ring frames PacketRingDeviceOptions.Offloads uses; use an MTU of at most {PacketRingGeometry.MaxOffloadFrameLength - DeviceCapabilities.FrameOverhead}, or open '{interfaceName}' without offloads.", nameof(options));

            SetOption(fd, PACKET_VERSION, TPACKET_V2, "PACKET_VERSION (TPACKET_V2)");
            int headerSize = TPACKET_V2;
            uint size = sizeof(int);
            if (LinuxNative.GetSockOpt(fd, SOL_PACKET, PACKET_HDRLEN, &headerSize, &size) != 0)
                throw SetupRefused("getsockopt(PACKET_HDRLEN)", LinuxNative.LastError, "");
            if (headerSize != Tpacket2HeaderSize)
                throw new IOException($"The kernel's TPACKET_V2 frame header is {headerSize} bytes; Wirestack's layout expects {Tpacket2HeaderSize}.");

            int on = 1;
            bool skipOutgoing = LinuxNative.SetSockOpt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &on, sizeof(int)) != 0;
            // A super-segment for an interface without TSO is cut by the kernel's software GSO, which runs only on the
            // queueing discipline's path: the bypass (dev_direct_xmit) drops any frame it would have to change. So with
            // offloads and no TSO the device leaves the bypass off by default; told to bypass, it sends no super-segments.
            bool interfaceSegments = options.Offloads && ReadTcpSegmentationOffload(fd, interfaceName);
            bool bypass = options.BypassQueueingDiscipline ?? !(options.Offloads && !interfaceSegments);
            if (bypass) SetOption(fd, PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS");
            // Before the rings: the kernel refuses it (EBUSY) once they exist.
            if (options.Offloads) SetOption(fd, PACKET_VNET_HDR, 1, "PACKET_VNET_HDR");

            var geometry = options.Offloads
                ? PacketRingGeometry.ForOffloads(options.RingSize, Environment.SystemPageSize)
                : PacketRingGeometry.For(mtu, options.RingSize, Environment.SystemPageSize);
            var request = new TpacketReq
            {
                BlockSize = (uint)geometry.BlockSize,
                BlockCount = (uint)geometry.BlockCount,
                FrameSize = (uint)geometry.FrameSize,
                FrameCount = (uint)geometry.FrameCount,
            };
            string shape = $" ({geometry.FrameCount} frames of {geometry.FrameSize} bytes in {geometry.BlockCount} blocks of {geometry.BlockSize} bytes; a smaller PacketRingDeviceOptions.RingSize or Mtu needs less memory)";
            if (LinuxNative.SetSockOpt(fd, SOL_PACKET, PACKET_RX_RING, &request, (uint)sizeof(TpacketReq)) != 0)
                throw SetupRefused("setsockopt(PACKET_RX_RING)", LinuxNative.LastError, shape);
            if (LinuxNative.SetSockOpt(fd, SOL_PACKET, PACKET_TX_RING, &request, (uint)sizeof(TpacketReq)) != 0)
                throw SetupRefused("setsockopt(PACKET_TX_RING)", LinuxNative.LastError, shape);

            // One mapping covers both rings, the receive ring first.
            long total = 2 * geometry.RingBytes;
            void* mapped = LinuxNative.Mmap(null, (nuint)total, LinuxNative.PROT_READ | LinuxNative.PROT_WRITE, LinuxNative.MAP_SHARED | LinuxNative.MAP_POPULATE, fd, 0);
            if (mapped == (void*)-1)
                throw SetupRefused($"mmap of the rings ({total} bytes)", LinuxNative.LastError, "");
            mapping = (byte*)mapped;
            mappingLength = (nuint)total;

            var address = new SockaddrLl { Family = LinuxNative.AF_PACKET, Protocol = EthPAllNetworkOrder, InterfaceIndex = (int)index };
            if (LinuxNative.Bind(fd, &address, (uint)sizeof(SockaddrLl)) != 0)
            {
                int errno = LinuxNative.LastError;
                if (errno == LinuxNative.ENODEV)
                    throw new IOException($"no interface '{interfaceName}': create it or check the name (it went away while opening: {LinuxNative.Describe(errno)}).");
                throw SetupRefused($"bind to '{interfaceName}'", errno, "");
            }

            if (options.Promiscuous)
            {
                var membership = new PacketMreq { InterfaceIndex = (int)index, Type = PACKET_MR_PROMISC };
                if (LinuxNative.SetSockOpt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &membership, (uint)sizeof(PacketMreq)) != 0)
                    throw SetupRefused("setsockopt(PACKET_ADD_MEMBERSHIP, PACKET_MR_PROMISC)", LinuxNative.LastError, "");
            }

            return new PacketRingDevice(interfaceName, fd, (int)index, mapping, mappingLength, geometry, mtu, options, skipOutgoing, bypass, options.Offloads && (interfaceSegments || !bypass));
        }
        catch
        {
            // Closing the socket also drops a membership it holds.
            if (mapping != null) LinuxNative.Munmap(mapping, mappingLength);
            LinuxNative.Close(fd);
            throw;
        }
    }

    /// <inheritdoc />
    public int Receive()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // Look at most one lap of the ring per call, even when every frame is skipped.
        for (int looked = 0; _lentCount < _batchSize && looked < _ringSize; looked++)
        {
            // Past this point the ring wraps onto a frame that is still lent.
            if (_lentCount > 0 && _receiveNext - _lentSequence[_lentFirst] >= _ringSize) break;
            long sequence = _receiveNext;
            byte* frame = ReceiveFrame(sequence);
            var header = (Tpacket2Header*)frame;
            // Acquire: the frame's bytes are read only after the status says the kernel wrote them.
            uint status = Volatile.Read(ref header->Status);
            if ((status & TP_STATUS_USER) == 0) break;
            _receiveNext++;

            if ((status & TP_STATUS_LOSING) != 0) CollectKernelDrops();
            int offset = header->MacOffset;
            int length = (int)header->SnapLength;
            if (PacketRingFrameStatus.IsTruncated(status, offset, header->SnapLength, header->Length, _frameSize))
            {
                Counters.ReceiveDroppedField++;
                _truncatedFrames++;
                Volatile.Write(ref header->Status, TP_STATUS_KERNEL);
                continue;
            }
            if (_skipOutgoing && ((SockaddrLl*)(frame + ReceiveAddressOffset))->PacketType == PACKET_OUTGOING)
            {
                Volatile.Write(ref header->Status, TP_STATUS_KERNEL);
                continue;
            }
            FrameOffload offload = default;
            // The kernel writes the virtio_net_hdr just before the MAC header; read it before a VLAN tag goes back there.
            if (_headerLength != 0 && (offset < ReceiveAddressOffset + SockaddrLlSize + _headerLength
                || !VirtioNetHeader.TryRead(new ReadOnlySpan<byte>(frame + offset - _headerLength, _headerLength), out offload)))
            {
                Counters.ReceiveDroppedField++; // coalesced from IP fragments (UFO), which the stack cannot take apart
                Volatile.Write(ref header->Status, TP_STATUS_KERNEL);
                continue;
            }
            if (!offload.TransportChecksumTrusted && PacketRingFrameStatus.TransportChecksumTrusted(status))
                offload = offload with { TransportChecksumTrusted = true };
            if ((status & TP_STATUS_VLAN_VALID) != 0)
            {
                // The driver took the 802.1Q tag out of the frame; put it back in the gap before the
                // MAC header (past the sockaddr_ll), so the stack sees the frame as it was on the wire.
                if (offset - VlanTagLength < ReceiveAddressOffset + SockaddrLlSize || length < 12)
                {
                    Counters.ReceiveDroppedField++;
                    Volatile.Write(ref header->Status, TP_STATUS_KERNEL);
                    continue;
                }
                ushort tpid = (status & TP_STATUS_VLAN_TPID_VALID) != 0 && header->VlanTpid != 0 ? header->VlanTpid : (ushort)0x8100;
                new Span<byte>(frame + offset, 12).CopyTo(new Span<byte>(frame + offset - VlanTagLength, 12));
                BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(frame + offset + 8, 2), tpid);
                BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(frame + offset + 10, 2), header->VlanTci);
                offset -= VlanTagLength;
                length += VlanTagLength;
            }
            if (length > (offload.SegmentSize != 0 || offload.UdpSegments ? _maxOffloadFrameLength : _maxFrameLength))
            {
                Counters.ReceiveDroppedField++; // longer than a slot (the interface's MTU is above ours)
                Volatile.Write(ref header->Status, TP_STATUS_KERNEL);
                continue;
            }

            int entry = _lentFirst + _lentCount;
            if (entry >= _batchSize) entry -= _batchSize;
            _lentSequence[entry] = sequence;
            _lentOffset[entry] = offset;
            _lentLength[entry] = length;
            _lentOffload[entry] = offload;
            _lentCount++;
            Counters.ReceivedFramesField++;
            Counters.ReceivedBytesField += length;
        }
        return _lentCount;
    }

    /// <inheritdoc />
    public ReadOnlySpan<byte> GetReceived(int index)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_lentCount, nameof(index));
        int entry = _lentFirst + index;
        if (entry >= _batchSize) entry -= _batchSize;
        return new ReadOnlySpan<byte>(ReceiveFrame(_lentSequence[entry]) + _lentOffset[entry], _lentLength[entry]);
    }

    /// <inheritdoc />
    /// <remarks>
    /// A frame whose ring status carries TP_STATUS_CSUMNOTREADY (the local kernel left its checksum partial, as it
    /// does on a veth with tx checksumming on) or TP_STATUS_CSUM_VALID (already checked), or whose virtio_net_hdr says
    /// the same, reports <see cref="FrameOffload.TransportChecksumTrusted"/>; others are the stack's to verify. With
    /// offloads on, a TCP segment the kernel did not cut (TSO/GSO) or coalesced (GRO) reports its segment size.
    /// </remarks>
    public ReadOnlySpan<byte> GetReceived(int index, out FrameOffload offload)
    {
        var frame = GetReceived(index);
        int entry = _lentFirst + index;
        if (entry >= _batchSize) entry -= _batchSize;
        offload = _lentOffload[entry];
        return frame;
    }

    /// <inheritdoc />
    public void ReleaseReceived(int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)_lentCount, nameof(count));
        for (int i = 0; i < count; i++)
        {
            // Release: every read of the frame happens before the kernel may overwrite it.
            Volatile.Write(ref ((Tpacket2Header*)ReceiveFrame(_lentSequence[_lentFirst]))->Status, TP_STATUS_KERNEL);
            if (++_lentFirst == _batchSize) _lentFirst = 0;
        }
        _lentCount -= count;
    }

    /// <inheritdoc />
    public bool TryGetTransmitSlot(out Span<byte> slot)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_slotLent)
            throw new InvalidOperationException("A transmit slot is already lent; commit it with CommitTransmit before asking for another.");
        var header = TransmitHeader(_transmitNext);
        // The slot is free once the kernel has sent what it held (timestamp flags may remain set).
        if ((Volatile.Read(ref header->Status) & TransmitOwnershipMask) != 0)
        {
            slot = default;
            return false;
        }
        slot = new Span<byte>((byte*)header + TransmitDataOffset + _headerLength, _headerLength != 0 ? _maxOffloadFrameLength : _maxFrameLength);
        _slotLent = true;
        return true;
    }

    /// <inheritdoc />
    public void CommitTransmit(int length) => CommitTransmit(length, FrameOffload.None);

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">Offloads are off and <paramref name="offload"/> asks for segmentation.</exception>
    public void CommitTransmit(int length, in FrameOffload offload)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_slotLent)
            throw new InvalidOperationException("No transmit slot is lent; call TryGetTransmitSlot first.");
        bool segmented = offload.SegmentSize != 0;
        if (segmented && _headerLength == 0)
            throw new NotSupportedException($"AF_PACKET device on '{InterfaceName}' was opened without offloads, so it does not segment; set PacketRingDeviceOptions.Offloads, or send MTU-sized frames.");
        int max = segmented ? _maxOffloadFrameLength : _maxFrameLength;
        if (length < EthernetHeaderLength || length > max)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"A frame must be {EthernetHeaderLength} (an Ethernet header) to {max} bytes (the slot size{(segmented ? " for a segment to cut" : "")}).");
        var header = TransmitHeader(_transmitNext);
        if (_headerLength != 0)
        {
            byte* data = (byte*)header + TransmitDataOffset;
            VirtioNetHeader.WritePartialChecksum(new Span<byte>(data, _headerLength), new Span<byte>(data + _headerLength, length), offload);
        }
        header->Length = (uint)(_headerLength + length);
        // Release: the frame's bytes and length are in place before the kernel may see the request.
        Volatile.Write(ref header->Status, TP_STATUS_SEND_REQUEST);
        _transmitNext++;
        _unflushedFrames++;
        _unflushedBytes += length;
        _slotLent = false;
    }

    /// <inheritdoc />
    /// <remarks>
    /// One sendto(2) sends every committed frame. When the kernel cannot take them all now (its queue
    /// or socket buffer is full, the interface is down) the call is counted in
    /// <see cref="DeviceCounters.TransmitErrors"/>, 0 is returned, and the frames go with the next flush.
    /// </remarks>
    public int Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_refusedFramePending && !StepOverRefusedFrame()) return 0;
        if (_unflushedFrames == 0 && !_retryFlush) return 0;
        while (true)
        {
            nint sent = LinuxNative.SendTo(_fd, null, 0, 0, null, 0);
            _transmitSystemCalls++;
            if (sent >= 0)
            {
                // Non-blocking, the kernel walks every send request in the ring before returning.
                int published = _unflushedFrames;
                Counters.TransmittedFramesField += published;
                Counters.TransmittedBytesField += _unflushedBytes;
                _unflushedFrames = 0;
                _unflushedBytes = 0;
                _retryFlush = false;
                return published;
            }
            Counters.TransmitErrorsField++;
            _retryFlush = true;
            // A refused frame stops the kernel at it; anything else (EAGAIN, ENOBUFS, ENETDOWN)
            // leaves the frames queued for the next flush.
            if (!FindRefusedFrame(out _)) return 0;
            _refusedFramePending = true;
            if (!StepOverRefusedFrame()) return 0;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Release lent frames before waiting: the kernel reports the socket readable for as long as the
    /// newest frame it wrote is still lent, so a wait while holding it returns at once.
    /// </remarks>
    public bool WaitForReceive(TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (FrameWaiting()) return true;
        if (!_waiter.Wait(timeout))
        {
            CollectKernelDrops(); // an idle moment: bring the kernel's drop count up to date
            return false;
        }
        if (!FrameWaiting())
        {
            // poll(2) also wakes for a socket error (the interface went down) until it is read.
            int error = 0;
            uint size = sizeof(int);
            if (LinuxNative.GetSockOpt(_fd, SolSocket, SoError, &error, &size) == 0 && error != 0)
                Counters.ReceiveErrorsField++;
        }
        return true;
    }

    /// <inheritdoc />
    public void Interrupt() => _waiter.Interrupt();

    /// <summary>Unmaps the rings, leaves promiscuous mode and closes the socket. Safe to call more than once.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        CollectKernelDrops();
        if (_promiscuous)
        {
            var membership = new PacketMreq { InterfaceIndex = _interfaceIndex, Type = PACKET_MR_PROMISC };
            LinuxNative.SetSockOpt(_fd, SOL_PACKET, PACKET_DROP_MEMBERSHIP, &membership, (uint)sizeof(PacketMreq));
        }
        LinuxNative.Munmap(_mapping, _mappingLength);
        LinuxNative.Close(_fd);
        _waiter.Dispose();
    }

    private byte* ReceiveFrame(long sequence) => _receiveRing + (sequence & _ringMask) * _frameSize;

    private Tpacket2Header* TransmitHeader(long sequence) => (Tpacket2Header*)(_transmitRing + (sequence & _ringMask) * _frameSize);

    // Also runs on a thread that waits for frames while another receives (SoftwareRss watches a shared device from an
    // idle stack thread while another uses it under its lock): each field may be changing, so each is read once and
    // the index checked (ReleaseReceived steps _lentFirst one past the end before wrapping it). A wrong answer is only
    // a wrong hint: poll(2) has the last word.
    private bool FrameWaiting()
    {
        int count = Volatile.Read(ref _lentCount);
        int first = Volatile.Read(ref _lentFirst);
        long next = Volatile.Read(ref _receiveNext);
        if (count > 0 && (uint)first < (uint)_lentSequence.Length && next - Volatile.Read(ref _lentSequence[first]) >= _ringSize) return false;
        return (Volatile.Read(ref ((Tpacket2Header*)ReceiveFrame(next))->Status) & TP_STATUS_USER) != 0;
    }

    // PACKET_STATISTICS returns the drops since the last call and resets them.
    private void CollectKernelDrops()
    {
        TpacketStats stats;
        uint size = (uint)sizeof(TpacketStats);
        if (LinuxNative.GetSockOpt(_fd, SOL_PACKET, PACKET_STATISTICS, &stats, &size) == 0)
            Counters.ReceiveDroppedField += stats.Drops;
    }

    // The kernel refuses a frame by marking it TP_STATUS_WRONG_FORMAT and stopping there; it would
    // start from that slot again on the next sendto. Every refused frame was committed since the last
    // successful flush, since that flush walked all earlier ones.
    private bool FindRefusedFrame(out long sequence)
    {
        for (sequence = _transmitNext - _unflushedFrames; sequence < _transmitNext; sequence++)
            if ((Volatile.Read(ref TransmitHeader(sequence)->Status) & TP_STATUS_WRONG_FORMAT) != 0) return true;
        return false;
    }

    // Drops the refused frame by moving every later frame one slot back: the kernel then finds the
    // next frame in the slot it stopped at, and nothing is sent twice or out of order. Waits while a
    // slot is lent, because moving frames would move the slot under the caller's feet.
    private bool StepOverRefusedFrame()
    {
        if (_slotLent) return false;
        _refusedFramePending = false;
        if (!FindRefusedFrame(out long refused)) return true;
        var bad = TransmitHeader(refused);
        Counters.TransmitDroppedField++;
        _unflushedFrames--;
        _unflushedBytes -= bad->Length - _headerLength;
        for (long s = refused; s < _transmitNext - 1; s++)
        {
            var to = TransmitHeader(s);
            var from = TransmitHeader(s + 1);
            int length = (int)from->Length;
            new Span<byte>((byte*)from + TransmitDataOffset, length).CopyTo(new Span<byte>((byte*)to + TransmitDataOffset, length));
            to->Length = (uint)length;
            Volatile.Write(ref to->Status, TP_STATUS_SEND_REQUEST);
        }
        _transmitNext--;
        Volatile.Write(ref TransmitHeader(_transmitNext)->Status, TP_STATUS_AVAILABLE);
        _retryFlush = true;
        return true;
    }

    private static int ReadMtu(int fd, string interfaceName)
    {
        IfReqMtu request = default;
        Span<byte> name = new(request.Name, 16);
        Encoding.UTF8.GetBytes(interfaceName, name);
        if (LinuxNative.Ioctl(fd, SIOCGIFMTU, &request) != 0)
            throw SetupRefused($"ioctl(SIOCGIFMTU) on '{interfaceName}'", LinuxNative.LastError, "");
        return request.Mtu;
    }

    // Whether the interface segments TCP itself (TSO on). Without it the kernel cuts a super-segment in software on the
    // queueing discipline's path, and drops it on the bypass (the interface counts it as TX dropped). Unknown (the ioctl
    // refused) counts as off, which is always safe.
    private static bool ReadTcpSegmentationOffload(int fd, string interfaceName)
    {
        EthtoolValue value = new() { Command = ETHTOOL_GTSO };
        IfReqData request = default;
        Encoding.UTF8.GetBytes(interfaceName, new Span<byte>(request.Name, 16));
        request.Data = &value;
        return LinuxNative.Ioctl(fd, SIOCETHTOOL, &request) == 0 && value.Data != 0;
    }

    private static void SetOption(int fd, int option, int value, string name)
    {
        if (LinuxNative.SetSockOpt(fd, SOL_PACKET, option, &value, sizeof(int)) != 0)
            throw SetupRefused($"setsockopt({name})", LinuxNative.LastError, "");
    }

    private static IOException SetupRefused(string step, int errno, string detail) =>
        new($"Setting up the AF_PACKET rings failed: {step} was refused with {LinuxNative.Describe(errno)}{detail}.");
}
