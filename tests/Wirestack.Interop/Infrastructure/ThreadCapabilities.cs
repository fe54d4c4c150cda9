using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Wirestack.Interop.Infrastructure;

/// <summary>
/// Runs code on a new thread whose effective capability set lacks one capability. Linux keeps
/// credentials per thread and capset(2) changes only the caller's, so the rest of the (root) test
/// process is untouched: this is how a test sees what an unprivileged process would see.
/// </summary>
internal static unsafe partial class ThreadCapabilities
{
    public const int CapNetRaw = 13;
    public const int CapIpcLock = 14;
    public const int CapSysAdmin = 21;
    public const int CapBpf = 39;

    private const uint Version3 = 0x20080522;

    /// <summary>Runs <paramref name="action"/> on a fresh thread without <paramref name="capability"/> in its effective set; rethrows what it throws.</summary>
    public static void RunWithout(int capability, Action action) => RunWithout([capability], action);

    /// <summary>Runs <paramref name="action"/> on a fresh thread without any of <paramref name="capabilities"/> in its effective set; rethrows what it throws.</summary>
    public static void RunWithout(int[] capabilities, Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                var header = new Header { Version = Version3, Pid = 0 };
                var data = stackalloc Data[2];
                if (CapGet(&header, data) != 0)
                    throw new InvalidOperationException($"capget failed: errno {Marshal.GetLastPInvokeError()}");
                foreach (int capability in capabilities) data[capability / 32].Effective &= ~(1u << (capability % 32));
                if (CapSet(&header, data) != 0)
                    throw new InvalidOperationException($"capset failed: errno {Marshal.GetLastPInvokeError()}");
                action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) ExceptionDispatchInfo.Capture(failure).Throw();
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Header
    {
        public uint Version;
        public int Pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Data
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }

    [LibraryImport("libc", EntryPoint = "capget", SetLastError = true)]
    private static partial int CapGet(Header* header, Data* data);

    [LibraryImport("libc", EntryPoint = "capset", SetLastError = true)]
    private static partial int CapSet(Header* header, Data* data);
}
