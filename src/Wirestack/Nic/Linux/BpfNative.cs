using System.Runtime.InteropServices;
using System.Text;

namespace Wirestack.Nic.Linux;

/// <summary>
/// The bpf(2) system call through libc's syscall(2) (glibc has no wrapper), and the few commands
/// AF_XDP needs: make an XSKMAP, load an XDP program, put a socket in the map, and find and read a
/// program by id. Each command builds its piece of the kernel's <c>union bpf_attr</c> on the stack,
/// zeroed, since the kernel refuses non-zero bytes past the fields a command uses.
/// </summary>
internal static unsafe partial class BpfNative
{
    public const int BPF_MAP_CREATE = 0;
    public const int BPF_MAP_UPDATE_ELEM = 2;
    public const int BPF_PROG_LOAD = 5;
    public const int BPF_PROG_TEST_RUN = 10;
    public const int BPF_PROG_GET_FD_BY_ID = 13;
    public const int BPF_MAP_GET_FD_BY_ID = 14;
    public const int BPF_OBJ_GET_INFO_BY_FD = 15;

    public const uint BPF_MAP_TYPE_XSKMAP = 17;
    public const uint BPF_PROG_TYPE_SOCKET_FILTER = 1;
    public const uint BPF_PROG_TYPE_XDP = 6;

    public const int ENOSYS = 38;

    private const int AttrSize = 128;
    private const int ObjectNameLength = 16;

    /// <summary>The bpf system call's number on this machine's architecture.</summary>
    private static nint SyscallNumber => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 321,
        Architecture.Arm64 => 280,
        Architecture.LoongArch64 => 280,
        Architecture.RiscV64 => 280,
        _ => throw new PlatformNotSupportedException($"Wirestack does not know the bpf(2) system call number on {RuntimeInformation.ProcessArchitecture}."),
    };

    // Declared with fixed integer arguments: on the 64-bit ABIs .NET runs on, a variadic call with
    // only integer arguments passes them exactly like this.
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial nint Syscall(nint number, nint command, void* attribute, nint size);

    private static int Bpf(int command, byte* attribute) => (int)Syscall(SyscallNumber, command, attribute, AttrSize);

    /// <summary>Makes an XSKMAP of <paramref name="entries"/> slots named <paramref name="name"/>; returns its fd or -1.</summary>
    public static int CreateXskMap(uint entries, string name)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)(attr + 0) = BPF_MAP_TYPE_XSKMAP;
        *(uint*)(attr + 4) = sizeof(uint); // key: the queue index
        *(uint*)(attr + 8) = sizeof(int); // value: a socket fd
        *(uint*)(attr + 12) = entries;
        WriteName(name, attr + 28); // map_name follows map_flags, inner_map_fd, numa_node
        return Bpf(BPF_MAP_CREATE, attr);
    }

    /// <summary>Puts <paramref name="value"/> at <paramref name="key"/> in the map; 0 or -1.</summary>
    public static int UpdateElement(int mapFd, uint key, int value)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)(attr + 0) = (uint)mapFd;
        *(ulong*)(attr + 8) = (ulong)&key;
        *(ulong*)(attr + 16) = (ulong)&value;
        return Bpf(BPF_MAP_UPDATE_ELEM, attr);
    }

    /// <summary>
    /// Loads an XDP program of <paramref name="instructions"/> (8 bytes each) named
    /// <paramref name="name"/>; returns its fd, or -1 with the verifier's log in <paramref name="log"/>.
    /// </summary>
    public static int LoadXdpProgram(ReadOnlySpan<ulong> instructions, string name, out string log) =>
        LoadProgram(BPF_PROG_TYPE_XDP, instructions, name, out log);

    /// <summary>
    /// Loads a program of <paramref name="type"/> (a BPF_PROG_TYPE_*) of <paramref name="instructions"/> (8 bytes
    /// each) named <paramref name="name"/>; returns its fd, or -1 with the verifier's log in <paramref name="log"/>.
    /// </summary>
    public static int LoadProgram(uint type, ReadOnlySpan<ulong> instructions, string name, out string log)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        ReadOnlySpan<byte> license = "GPL\0"u8;
        const int logSize = 4096;
        byte* logBuffer = stackalloc byte[logSize];
        logBuffer[0] = 0;
        int fd;
        fixed (ulong* code = instructions)
        fixed (byte* licenseBytes = license)
        {
            *(uint*)(attr + 0) = type;
            *(uint*)(attr + 4) = (uint)instructions.Length;
            *(ulong*)(attr + 8) = (ulong)code;
            *(ulong*)(attr + 16) = (ulong)licenseBytes;
            WriteName(name, attr + 48);
            fd = Bpf(BPF_PROG_LOAD, attr);
            if (fd < 0)
            {
                int errno = LinuxNative.LastError;
                // Load again with the verifier's log on, to say why.
                *(uint*)(attr + 24) = 1; // log_level
                *(uint*)(attr + 28) = logSize;
                *(ulong*)(attr + 32) = (ulong)logBuffer;
                Bpf(BPF_PROG_LOAD, attr);
                Marshal.SetLastPInvokeError(errno);
            }
        }
        log = fd < 0 ? Marshal.PtrToStringUTF8((nint)logBuffer) ?? "" : "";
        return fd;
    }

    /// <summary>
    /// Runs the loaded program once on <paramref name="packet"/> (for a socket filter: an Ethernet frame, which the
    /// kernel hands over as a received skb) and returns 0 with the program's answer in <paramref name="result"/>, or -1.
    /// </summary>
    public static int TestRun(int programFd, ReadOnlySpan<byte> packet, out uint result)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        int status;
        fixed (byte* data = packet)
        {
            *(uint*)(attr + 0) = (uint)programFd;
            *(uint*)(attr + 8) = (uint)packet.Length;
            *(ulong*)(attr + 16) = (ulong)data;
            *(uint*)(attr + 32) = 1; // repeat
            status = Bpf(BPF_PROG_TEST_RUN, attr);
        }
        result = *(uint*)(attr + 4);
        return status;
    }

    /// <summary>Opens the loaded program with id <paramref name="id"/>; its fd or -1.</summary>
    public static int ProgramFdById(uint id)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)attr = id;
        return Bpf(BPF_PROG_GET_FD_BY_ID, attr);
    }

    /// <summary>Opens the map with id <paramref name="id"/>; its fd or -1.</summary>
    public static int MapFdById(uint id)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)attr = id;
        return Bpf(BPF_MAP_GET_FD_BY_ID, attr);
    }

    /// <summary>
    /// A program's id, name and the id of its first map (struct bpf_prog_info: id at 4, nr_map_ids
    /// at 52, map_ids at 56, name at 64); false if the kernel refuses.
    /// </summary>
    public static bool ProgramInfo(int programFd, out uint id, out string name, out uint firstMapId)
    {
        byte* info = stackalloc byte[96];
        new Span<byte>(info, 96).Clear();
        uint mapId = 0;
        *(uint*)(info + 52) = 1;
        *(ulong*)(info + 56) = (ulong)&mapId;
        bool ok = ObjectInfo(programFd, info, 96);
        id = *(uint*)(info + 4);
        name = ok ? ReadName(info + 64) : "";
        firstMapId = ok && *(uint*)(info + 52) > 0 ? mapId : 0;
        return ok;
    }

    /// <summary>A map's id and name (struct bpf_map_info: id at 4, name at 24); false if the kernel refuses.</summary>
    public static bool MapInfo(int mapFd, out uint id, out string name)
    {
        byte* info = stackalloc byte[40];
        new Span<byte>(info, 40).Clear();
        bool ok = ObjectInfo(mapFd, info, 40);
        id = *(uint*)(info + 4);
        name = ok ? ReadName(info + 24) : "";
        return ok;
    }

    private static bool ObjectInfo(int fd, byte* info, uint length)
    {
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)(attr + 0) = (uint)fd;
        *(uint*)(attr + 4) = length;
        *(ulong*)(attr + 8) = (ulong)info;
        return Bpf(BPF_OBJ_GET_INFO_BY_FD, attr) == 0;
    }

    // Object names: at most 15 bytes of [A-Za-z0-9_.], NUL-terminated.
    private static void WriteName(string name, byte* destination)
    {
        var span = new Span<byte>(destination, ObjectNameLength - 1);
        Encoding.ASCII.GetBytes(name.AsSpan(0, Math.Min(name.Length, ObjectNameLength - 1)), span);
    }

    private static string ReadName(byte* source)
    {
        var span = new ReadOnlySpan<byte>(source, ObjectNameLength);
        int end = span.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? span : span[..end]);
    }
}
