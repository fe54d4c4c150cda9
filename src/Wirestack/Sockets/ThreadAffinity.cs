using System.Runtime.InteropServices;

namespace Wirestack.Sockets;

/// <summary>Pins the calling thread to one CPU with <c>sched_setaffinity</c> (Linux only; elsewhere it does nothing).</summary>
internal static partial class ThreadAffinity
{
    /// <summary>The CPUs this process may run on, in order (empty when it cannot tell).</summary>
    public static int[] AllowedCpus()
    {
        if (!OperatingSystem.IsLinux()) return [];
        Span<ulong> mask = stackalloc ulong[16]; // 1024 CPUs
        if (SchedGetAffinity(0, (nuint)(mask.Length * sizeof(ulong)), ref MemoryMarshal.GetReference(mask)) != 0) return [];
        var cpus = new List<int>();
        for (int i = 0; i < mask.Length * 64; i++)
            if ((mask[i / 64] & (1UL << (i % 64))) != 0) cpus.Add(i);
        return [.. cpus];
    }

    /// <summary>Pins the calling thread to <paramref name="cpu"/>; false when the system refused (or is not Linux).</summary>
    public static bool PinCurrentThread(int cpu)
    {
        if (!OperatingSystem.IsLinux() || cpu is < 0 or >= 1024) return false;
        Span<ulong> mask = stackalloc ulong[16];
        mask.Clear();
        mask[cpu / 64] = 1UL << (cpu % 64);
        return SchedSetAffinity(0, (nuint)(mask.Length * sizeof(ulong)), ref MemoryMarshal.GetReference(mask)) == 0;
    }

    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int SchedSetAffinity(int pid, nuint size, ref ulong mask);

    [LibraryImport("libc", EntryPoint = "sched_getaffinity", SetLastError = true)]
    private static partial int SchedGetAffinity(int pid, nuint size, ref ulong mask);
}
