using System.Buffers.Binary;

namespace Wirestack.Nic.Linux;

/// <summary>
/// The socket-filter eBPF program that steers flows over the queues of a multi-queue TAP device (TUNSETSTEERINGEBPF)
/// or the sockets of an AF_PACKET fanout group (PACKET_FANOUT_EBPF): it returns
/// <see cref="FlowSteering.Fold"/> of the frame's flow, and the kernel takes that modulo the number of queues, so
/// <see cref="FlowSteering.ForKernelQueues"/> predicts where every flow lands. Neither the kernel's own flow hash
/// (randomly seeded) nor TAP's flow table (which forgets a flow idle for 3 s) can be predicted.
/// </summary>
/// <remarks>
/// <para>
/// It reads the packet with BPF_LD_ABS and BPF_LD_IND relative to the network header (SKF_NET_OFF), which works
/// wherever the skb's data starts: at the MAC header when the TAP driver picks a transmit queue, at the network
/// header when AF_PACKET fans a received frame out. The ethertype comes from <c>__sk_buff.protocol</c>. A load past
/// the packet's end ends the program with 0, so short packets go to queue 0 as everything it does not hash does:
/// frames with a VLAN tag (in the frame or beside it), anything but IPv4 and IPv6, IPv4 fragments or headers shorter
/// than 20 bytes, IPv6 whose next header is not TCP or UDP (extension headers), and any protocol but TCP and UDP.
/// </para>
/// <para>
/// The answer is 16 bits wide because the TAP driver truncates it to 16 bits before its modulo (AF_PACKET takes all
/// 32); with 16 bits the two agree.
/// </para>
/// </remarks>
internal sealed class FlowSteeringProgram : IDisposable
{
    /// <summary>The name the program carries (bpftool prog shows it).</summary>
    public const string ProgramName = "wirestack_steer";

    // SKF_NET_OFF: negative packet offsets from here on address the network header.
    private const int NetworkHeader = -0x100000;

    // struct __sk_buff: the fields the program reads.
    private const short ProtocolOffset = 16;
    private const short VlanPresentOffset = 20;

    private FlowSteeringProgram(int fd) => Fd = fd;

    /// <summary>The program's file descriptor, or -1 once disposed.</summary>
    public int Fd { get; private set; }

    /// <summary>Loads the program.</summary>
    /// <exception cref="UnauthorizedAccessException">The process may not load eBPF programs (CAP_BPF, or root).</exception>
    /// <exception cref="PlatformNotSupportedException">The kernel has no bpf(2).</exception>
    /// <exception cref="IOException">The kernel refused it; the message carries the verifier's log.</exception>
    public static FlowSteeringProgram Load()
    {
        int fd = BpfNative.LoadProgram(BpfNative.BPF_PROG_TYPE_SOCKET_FILTER, Assemble(), ProgramName, out string log);
        if (fd < 0) throw Refused(LinuxNative.LastError, log);
        return new FlowSteeringProgram(fd);
    }

    public void Dispose()
    {
        if (Fd >= 0) LinuxNative.Close(Fd);
        Fd = -1;
    }

    // r6: the context (LD_ABS and LD_IND read the packet through it); r7: the IPv4 header length; r8: the addresses
    // folded; r0: the last word loaded. r6 to r9 survive the loads, which are calls underneath.
    internal static ulong[] Assemble()
    {
        var a = new BpfAssembler();
        int none = a.NewLabel(), ipv4 = a.NewLabel(), ipv4Transport = a.NewLabel(), ipv6Transport = a.NewLabel(), mix = a.NewLabel();
        int ipv4Type = NetworkOrder(0x0800), ipv6Type = NetworkOrder(0x86DD);

        a.Emit(BpfAssembler.Alu64MovX, 6, 1);
        a.Emit(BpfAssembler.LoadWordFromMemory, 0, 1, VlanPresentOffset);
        a.Jump(BpfAssembler.JumpNotEqualK, 0, 0, none);
        a.Emit(BpfAssembler.LoadWordFromMemory, 7, 1, ProtocolOffset);
        a.Jump(BpfAssembler.JumpEqualK, 7, ipv4Type, ipv4);
        a.Jump(BpfAssembler.JumpNotEqualK, 7, ipv6Type, none);

        // IPv6: version 6, next header TCP or UDP (anything else may be an extension header), then 8 address words.
        a.Emit(BpfAssembler.LoadAbsoluteByte, 0, 0, 0, NetworkHeader);
        a.Emit(BpfAssembler.Alu64AndK, 0, 0, 0, 0xF0);
        a.Jump(BpfAssembler.JumpNotEqualK, 0, 0x60, none);
        a.Emit(BpfAssembler.LoadAbsoluteByte, 0, 0, 0, NetworkHeader + 6);
        a.Jump(BpfAssembler.JumpEqualK, 0, 6, ipv6Transport);
        a.Jump(BpfAssembler.JumpNotEqualK, 0, 17, none);
        a.Mark(ipv6Transport);
        a.Emit(BpfAssembler.Alu64MovK, 8, 0, 0, 0);
        for (int word = 0; word < 8; word++)
        {
            a.Emit(BpfAssembler.LoadAbsoluteWord, 0, 0, 0, NetworkHeader + 8 + 4 * word);
            a.Emit(BpfAssembler.Alu64XorX, 8, 0);
        }
        a.Emit(BpfAssembler.LoadAbsoluteWord, 0, 0, 0, NetworkHeader + 40);
        a.Jump(BpfAssembler.JumpAlways, 0, 0, mix);

        // IPv4: version 4, a header of 20 bytes or more, not a fragment, TCP or UDP; the ports follow the options.
        a.Mark(ipv4);
        a.Emit(BpfAssembler.LoadAbsoluteByte, 0, 0, 0, NetworkHeader);
        a.Emit(BpfAssembler.Alu64MovX, 7, 0);
        a.Emit(BpfAssembler.Alu64AndK, 7, 0, 0, 0xF);
        a.Emit(BpfAssembler.Alu64LshK, 7, 0, 0, 2);
        a.Emit(BpfAssembler.Alu64AndK, 0, 0, 0, 0xF0);
        a.Jump(BpfAssembler.JumpNotEqualK, 0, 0x40, none);
        a.Jump(BpfAssembler.JumpLessK, 7, 20, none);
        a.Emit(BpfAssembler.LoadAbsoluteHalf, 0, 0, 0, NetworkHeader + 6);
        a.Emit(BpfAssembler.Alu64AndK, 0, 0, 0, 0x3FFF); // more fragments, fragment offset
        a.Jump(BpfAssembler.JumpNotEqualK, 0, 0, none);
        a.Emit(BpfAssembler.LoadAbsoluteByte, 0, 0, 0, NetworkHeader + 9);
        a.Jump(BpfAssembler.JumpEqualK, 0, 6, ipv4Transport);
        a.Jump(BpfAssembler.JumpNotEqualK, 0, 17, none);
        a.Mark(ipv4Transport);
        a.Emit(BpfAssembler.LoadAbsoluteWord, 0, 0, 0, NetworkHeader + 12);
        a.Emit(BpfAssembler.Alu64MovX, 8, 0);
        a.Emit(BpfAssembler.LoadAbsoluteWord, 0, 0, 0, NetworkHeader + 16);
        a.Emit(BpfAssembler.Alu64XorX, 8, 0);
        a.Emit(BpfAssembler.LoadIndirectWord, 0, 7, 0, NetworkHeader);

        // r0: source port << 16 | destination port. Fold the ports, add the addresses, mix, keep the upper 16 bits.
        a.Mark(mix);
        a.Emit(BpfAssembler.Alu64MovX, 9, 0);
        a.Emit(BpfAssembler.Alu64RshK, 9, 0, 0, 16);
        a.Emit(BpfAssembler.Alu64AndK, 0, 0, 0, 0xFFFF);
        a.Emit(BpfAssembler.Alu64XorX, 0, 9);
        a.Emit(BpfAssembler.Alu64XorX, 0, 8);
        a.Emit(BpfAssembler.Alu32MulK, 0, 0, 0, unchecked((int)FlowSteering.FoldMultiplier));
        a.Emit(BpfAssembler.Alu32RshK, 0, 0, 0, 16);
        a.Emit(BpfAssembler.Exit, 0);

        a.Mark(none);
        a.Emit(BpfAssembler.Alu64MovK, 0, 0, 0, 0);
        a.Emit(BpfAssembler.Exit, 0);
        return a.Build();
    }

    // __sk_buff.protocol holds the ethertype as the skb does, in network order, read as a native integer.
    private static int NetworkOrder(ushort etherType) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(etherType) : etherType;

    private static Exception Refused(int errno, string log)
    {
        string detail = log.Length == 0 ? "" : $"; the verifier said: {log.Trim()}";
        if (errno is LinuxNative.EPERM or LinuxNative.EACCES)
            return new UnauthorizedAccessException($"Steering kernel queues needs CAP_BPF (or root) to load Wirestack's socket-filter program: BPF_PROG_LOAD was refused with {LinuxNative.Describe(errno)}{detail}.");
        if (errno == BpfNative.ENOSYS)
            return new PlatformNotSupportedException($"This kernel has no bpf(2) system call (CONFIG_BPF_SYSCALL), which steering kernel queues needs: BPF_PROG_LOAD failed with {LinuxNative.Describe(errno)}.");
        return new IOException($"Loading Wirestack's flow steering program (BPF_PROG_LOAD, a socket filter) failed with {LinuxNative.Describe(errno)}{detail}.");
    }
}
