using System.Globalization;

namespace Wirestack.Nic.Linux;

/// <summary>
/// The XDP program an <see cref="XdpDevice"/> attaches, and its XSKMAP: six hand-assembled eBPF
/// instructions for <c>return bpf_redirect_map(&amp;xsks_map, ctx-&gt;rx_queue_index, XDP_PASS);</c>,
/// so a frame on a queue with a socket in the map goes to that socket and any other frame goes on
/// to the kernel's stack. The program is named <see cref="ProgramName"/> and its map
/// <c>ws_xsk_PID</c> after the process that loaded it, which is how a later start recognises a
/// program left attached by a process that died without detaching it.
/// </summary>
internal sealed class XdpRedirectProgram : IDisposable
{
    /// <summary>The name every Wirestack XDP program carries.</summary>
    public const string ProgramName = "wirestack_xdp";

    private const string MapPrefix = "ws_xsk_";

    private XdpRedirectProgram(int mapFd, int programFd, uint programId)
    {
        MapFd = mapFd;
        ProgramFd = programFd;
        ProgramId = programId;
    }

    public int MapFd { get; private set; }

    public int ProgramFd { get; private set; }

    public uint ProgramId { get; }

    /// <summary>
    /// Makes the map (one slot per queue up to <paramref name="queues"/>) and loads the program;
    /// <paramref name="ownerPid"/> is the process named in the map's name (this one, except in tests that play a dead one).
    /// </summary>
    public static XdpRedirectProgram Load(uint queues, int ownerPid)
    {
        int mapFd = BpfNative.CreateXskMap(queues, MapPrefix + ownerPid.ToString(CultureInfo.InvariantCulture));
        if (mapFd < 0) throw BpfRefused("BPF_MAP_CREATE (an XSKMAP)", LinuxNative.LastError, "");
        int programFd = BpfNative.LoadXdpProgram(Assemble(mapFd), ProgramName, out string log);
        if (programFd < 0)
        {
            int errno = LinuxNative.LastError;
            LinuxNative.Close(mapFd);
            throw BpfRefused("BPF_PROG_LOAD (the XDP redirect program)", errno, log.Length == 0 ? "" : $"; the verifier said: {log.Trim()}");
        }
        BpfNative.ProgramInfo(programFd, out uint id, out _, out _);
        return new XdpRedirectProgram(mapFd, programFd, id);
    }

    /// <summary>Puts the socket <paramref name="socketFd"/> in the map for <paramref name="queue"/>.</summary>
    public void Register(uint queue, int socketFd)
    {
        if (BpfNative.UpdateElement(MapFd, queue, socketFd) != 0)
            throw BpfRefused($"BPF_MAP_UPDATE_ELEM (the socket for queue {queue} in the XSKMAP)", LinuxNative.LastError, "");
    }

    /// <summary>
    /// Opens the attached program <paramref name="programId"/> and says whether Wirestack loaded it,
    /// and if so which process (0 if its map does not say). The fd stays open for the caller to detach
    /// it exactly (XDP_FLAGS_REPLACE), and is closed by the caller; -1 if the program could not be opened.
    /// </summary>
    public static bool IsOurs(uint programId, out int programFd, out string name, out int ownerPid)
    {
        ownerPid = 0;
        name = "";
        programFd = BpfNative.ProgramFdById(programId);
        if (programFd < 0) return false;
        if (!BpfNative.ProgramInfo(programFd, out _, out name, out uint mapId) || name != ProgramName) return false;
        int mapFd = mapId == 0 ? -1 : BpfNative.MapFdById(mapId);
        if (mapFd >= 0)
        {
            if (BpfNative.MapInfo(mapFd, out _, out string mapName) && mapName.StartsWith(MapPrefix, StringComparison.Ordinal))
                int.TryParse(mapName.AsSpan(MapPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out ownerPid);
            LinuxNative.Close(mapFd);
        }
        return true;
    }

    /// <summary>Whether process <paramref name="pid"/> is still running (in this process's PID namespace).</summary>
    public static bool IsAlive(int pid) => pid > 0 && Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}");

    public void Dispose()
    {
        if (ProgramFd >= 0) LinuxNative.Close(ProgramFd);
        if (MapFd >= 0) LinuxNative.Close(MapFd);
        ProgramFd = -1;
        MapFd = -1;
    }

    // r2 = ctx->rx_queue_index; r1 = &map; r3 = XDP_PASS; r0 = bpf_redirect_map(r1, r2, r3); exit.
    private static ulong[] Assemble(int mapFd) =>
    [
        Instruction(0x61, 2, 1, 16, 0), // BPF_LDX | BPF_MEM | BPF_W: r2 = *(u32 *)(r1 + offsetof(struct xdp_md, rx_queue_index))
        Instruction(0x18, 1, 1, 0, mapFd), // BPF_LD | BPF_DW | BPF_IMM with BPF_PSEUDO_MAP_FD: r1 = map (two slots)
        0,
        Instruction(0xb7, 3, 0, 0, 2), // BPF_ALU64 | BPF_MOV | BPF_K: r3 = XDP_PASS
        Instruction(0x85, 0, 0, 0, 51), // BPF_JMP | BPF_CALL: BPF_FUNC_redirect_map
        Instruction(0x95, 0, 0, 0, 0), // BPF_JMP | BPF_EXIT
    ];

    private static ulong Instruction(byte code, int destination, int source, short offset, int immediate) =>
        code | ((ulong)(byte)(destination | (source << 4)) << 8) | ((ulong)(ushort)offset << 16) | ((ulong)(uint)immediate << 32);

    private static Exception BpfRefused(string step, int errno, string detail)
    {
        if (errno is LinuxNative.EPERM or LinuxNative.EACCES)
            return new UnauthorizedAccessException($"AF_XDP needs CAP_BPF and CAP_NET_ADMIN (or CAP_SYS_ADMIN) to load its XDP program: run as root or grant them; {step} was refused with {LinuxNative.Describe(errno)}{detail}.");
        if (errno == BpfNative.ENOSYS)
            return new PlatformNotSupportedException($"This kernel has no bpf(2) system call (CONFIG_BPF_SYSCALL), which AF_XDP needs; {step} failed with {LinuxNative.Describe(errno)}.");
        if (errno == XdpNative.ENOMEM)
            return new IOException($"{step} was refused with {LinuxNative.Describe(errno)}: on kernels before 5.11 BPF memory counts against RLIMIT_MEMLOCK; raise it (ulimit -l unlimited, or LimitMEMLOCK=infinity for a service){detail}.");
        return new IOException($"Setting up AF_XDP failed: {step} was refused with {LinuxNative.Describe(errno)}{detail}.");
    }
}
