using System.Globalization;

namespace Wirestack.Nic.Linux;

/// <summary>
/// The XDP program attached to one interface, shared by every <see cref="XdpDevice"/> this process
/// has open on the interface's queues: the first device cleans up a stale program, loads and
/// attaches ours; each device puts its socket in the map at its queue; the last one to go detaches
/// it. Setup-time only (a lock, a dictionary), never on the packet path.
/// </summary>
internal sealed class XdpInterfaceProgram
{
    // Enough slots for the queues of any NIC this runs on; an XSKMAP slot is one pointer.
    private const int MapSlots = 256;

    private static readonly Lock Gate = new();
    private static readonly Dictionary<int, XdpInterfaceProgram> Attached = [];

    private readonly XdpRedirectProgram _program;
    private readonly int _interfaceIndex;
    private readonly uint _flags;
    private int _users;

    private XdpInterfaceProgram(XdpRedirectProgram program, int interfaceIndex, uint flags, XdpAttachMode mode)
    {
        _program = program;
        _interfaceIndex = interfaceIndex;
        _flags = flags;
        Mode = mode;
    }

    /// <summary>Where the program runs: <see cref="XdpAttachMode.Native"/> or <see cref="XdpAttachMode.Generic"/>.</summary>
    public XdpAttachMode Mode { get; }

    public uint ProgramId => _program.ProgramId;

    /// <summary>
    /// Attaches the program to the interface, unless a device of this process already has; either way
    /// the caller holds one use of it until <see cref="Release"/>. Checks (and removes stale
    /// programs) before any socket is bound, so a refusal leaves no queue held.
    /// </summary>
    /// <param name="interfaceName">The interface, for messages.</param>
    /// <param name="interfaceIndex">Its index.</param>
    /// <param name="options">The attach mode wanted, the queue, and whether a stale program may be removed.</param>
    /// <param name="ownerPid">The process the program's map names (tests play a dead one).</param>
    public static XdpInterfaceProgram Acquire(string interfaceName, int interfaceIndex, XdpDeviceOptions options, int ownerPid)
    {
        if (options.QueueId >= MapSlots)
            throw new ArgumentOutOfRangeException(nameof(options), options.QueueId, $"XdpDeviceOptions.QueueId {options.QueueId} is beyond the {MapSlots} queues Wirestack's XDP program serves.");
        lock (Gate)
        {
            if (Attached.TryGetValue(interfaceIndex, out var shared))
            {
                if (options.AttachMode != XdpAttachMode.Auto && options.AttachMode != shared.Mode)
                    throw new InvalidOperationException($"'{interfaceName}' already carries this process's XDP program in {shared.Mode} mode (another XdpDevice on it is open): open every device of an interface with the same XdpDeviceOptions.AttachMode.");
                shared._users++;
                return shared;
            }

            RemoveStalePrograms(interfaceName, interfaceIndex, options);
            var program = XdpRedirectProgram.Load(MapSlots, ownerPid);
            try
            {
                var mode = Attach(interfaceName, interfaceIndex, program.ProgramFd, options.AttachMode, out uint flags);
                var attached = new XdpInterfaceProgram(program, interfaceIndex, flags, mode) { _users = 1 };
                Attached.Add(interfaceIndex, attached);
                return attached;
            }
            catch
            {
                program.Dispose();
                throw;
            }
        }
    }

    /// <summary>Sends the frames of <paramref name="queue"/> to <paramref name="socketFd"/>, a socket bound to that queue.</summary>
    public void Register(int queue, int socketFd) => _program.Register((uint)queue, socketFd);

    /// <summary>One device is done with the program; the last one detaches it (only if it is still ours: XDP_FLAGS_REPLACE).</summary>
    public void Release()
    {
        lock (Gate)
        {
            if (--_users > 0) return;
            Attached.Remove(_interfaceIndex);
            XdpNetlink.SetProgram(_interfaceIndex, -1, _flags, _program.ProgramFd, out _);
            _program.Dispose();
        }
    }

    private static void RemoveStalePrograms(string interfaceName, int index, XdpDeviceOptions options)
    {
        if (!XdpNetlink.Query(index, out var attachment, out int errno))
            throw SetupRefused($"reading the XDP state of '{interfaceName}' (RTM_GETLINK)", errno, "");
        if (!attachment.Any) return;
        if (attachment.Offloaded)
            throw new IOException($"'{interfaceName}' has an XDP program offloaded to the hardware; detach it first (ip link set dev {interfaceName} xdpoffload off).");
        RemoveStaleProgram(interfaceName, index, attachment.DriverProgramId, XdpNetlink.XDP_FLAGS_DRV_MODE, "xdpdrv", options);
        RemoveStaleProgram(interfaceName, index, attachment.GenericProgramId, XdpNetlink.XDP_FLAGS_SKB_MODE, "xdpgeneric", options);
    }

    private static void RemoveStaleProgram(string interfaceName, int index, uint programId, uint modeFlag, string modeName, XdpDeviceOptions options)
    {
        if (programId == 0) return;
        bool ours = XdpRedirectProgram.IsOurs(programId, out int programFd, out string name, out int owner);
        try
        {
            string what = name.Length == 0 ? $"program id {programId}" : $"program '{name}' (id {programId})";
            if (!ours)
                throw new IOException($"'{interfaceName}' already has an XDP {what} attached ({modeName}), not Wirestack's: detach it (ip link set dev {interfaceName} {modeName} off) or open another interface.");
            if (XdpRedirectProgram.IsAlive(owner))
                throw new IOException($"'{interfaceName}' already has Wirestack's XDP {what} attached ({modeName}) by process {owner}, which still runs: one process per interface; stop the other or open another interface.");
            if (!options.ReplaceStaleProgram)
                throw new IOException($"'{interfaceName}' still has Wirestack's XDP {what} attached ({modeName}) by process {(owner == 0 ? "unknown" : owner.ToString(CultureInfo.InvariantCulture))}, which has exited: set XdpDeviceOptions.ReplaceStaleProgram, or detach it (ip link set dev {interfaceName} {modeName} off).");
            int errno = XdpNetlink.SetProgram(index, -1, modeFlag, programFd, out string explanation);
            if (errno != 0)
                throw SetupRefused($"detaching the stale XDP {what} from '{interfaceName}'", errno, explanation.Length == 0 ? "" : $" ({explanation})");
        }
        finally
        {
            if (programFd >= 0) LinuxNative.Close(programFd);
        }
    }

    private static XdpAttachMode Attach(string interfaceName, int index, int programFd, XdpAttachMode mode, out uint flags)
    {
        string explanation = "";
        int errno;
        if (mode != XdpAttachMode.Generic)
        {
            flags = XdpNetlink.XDP_FLAGS_UPDATE_IF_NOEXIST | XdpNetlink.XDP_FLAGS_DRV_MODE;
            errno = XdpNetlink.SetProgram(index, programFd, flags, -1, out explanation);
            if (errno == 0) return XdpAttachMode.Native;
            if (mode == XdpAttachMode.Native || errno is XdpNative.EBUSY or XdpNative.EEXIST)
                throw AttachRefused(interfaceName, errno, explanation, "native (driver) mode", mode == XdpAttachMode.Native);
        }
        flags = XdpNetlink.XDP_FLAGS_UPDATE_IF_NOEXIST | XdpNetlink.XDP_FLAGS_SKB_MODE;
        errno = XdpNetlink.SetProgram(index, programFd, flags, -1, out string generic);
        if (errno == 0) return XdpAttachMode.Generic;
        throw AttachRefused(interfaceName, errno, generic.Length > 0 ? generic : explanation, "generic (SKB) mode", false);
    }

    private static Exception AttachRefused(string interfaceName, int errno, string explanation, string mode, bool suggestGeneric)
    {
        string kernel = explanation.Length == 0 ? "" : $"; the kernel said: {explanation}";
        if (errno is LinuxNative.EPERM or LinuxNative.EACCES)
            return new UnauthorizedAccessException($"Attaching an XDP program to '{interfaceName}' needs CAP_NET_ADMIN: run as root or grant it ({LinuxNative.Describe(errno)}{kernel}).");
        if (errno is XdpNative.EBUSY or XdpNative.EEXIST)
            return new IOException($"'{interfaceName}' already has an XDP program attached (attaching in {mode}: {LinuxNative.Describe(errno)}{kernel}): detach it (ip link set dev {interfaceName} xdp off) or open another interface.");
        string hint = suggestGeneric ? " Use XdpAttachMode.Generic (or Auto) on a driver without native XDP." : "";
        return new IOException($"Attaching the XDP program to '{interfaceName}' in {mode} was refused with {LinuxNative.Describe(errno)}{kernel}.{hint}");
    }

    private static IOException SetupRefused(string step, int errno, string detail) =>
        new($"Setting up AF_XDP failed: {step} was refused with {LinuxNative.Describe(errno)}{detail}.");
}
