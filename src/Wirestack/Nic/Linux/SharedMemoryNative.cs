using System.Runtime.InteropServices;

namespace Wirestack.Nic.Linux;

/// <summary>
/// The calls the shared-memory pipe makes beyond <see cref="LinuxNative"/>: futex(2) on a word in a shared
/// mapping (the non-private operations, so that two processes mapping one file meet on the same word) and
/// kill(2) with signal 0 to ask whether a process still exists.
/// </summary>
internal static unsafe partial class SharedMemoryNative
{
    private const string Libc = "libc";
    private const int FUTEX_WAIT = 0;
    private const int FUTEX_WAKE = 1;
    private const int ESRCH = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    // The futex system call number differs by architecture; glibc has no wrapper for it.
    private static readonly long FutexNumber = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 202,
        Architecture.Arm64 or Architecture.RiscV64 or Architecture.LoongArch64 => 98,
        Architecture.X86 or Architecture.Arm => 240,
        _ => -1,
    };

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, void* address, long operation, long value, void* timeout, void* address2, long value3);

    [LibraryImport(Libc, EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>True when futex(2) is available on this architecture.</summary>
    public static bool HasFutex => FutexNumber >= 0;

    /// <summary>
    /// Sleeps while <c>*word == expected</c>, until a <see cref="FutexWake"/> on the same word (from any process
    /// mapping it), a signal, or <paramref name="timeout"/>. Returns at once when the word differs already.
    /// </summary>
    public static void FutexWait(int* word, int expected, TimeSpan timeout)
    {
        long ticks = Math.Max(0, timeout.Ticks);
        var spec = new TimeSpec { Seconds = ticks / TimeSpan.TicksPerSecond, Nanoseconds = ticks % TimeSpan.TicksPerSecond * 100 };
        // EAGAIN (the word changed), EINTR and ETIMEDOUT all mean "look again": the caller re-checks its state.
        Syscall(FutexNumber, word, FUTEX_WAIT, expected, &spec, null, 0);
    }

    /// <summary>Wakes every sleeper on <paramref name="word"/>, in this process or another one.</summary>
    public static void FutexWake(int* word) => Syscall(FutexNumber, word, FUTEX_WAKE, int.MaxValue, null, null, 0);

    /// <summary>
    /// True when process <paramref name="pid"/> no longer runs: kill(2) finds no such process, or /proc says it
    /// is a zombie (exited, but not yet reaped by its parent).
    /// </summary>
    public static bool HasExited(int pid, string statPath)
    {
        if (pid <= 0) return true;
        if (Kill(pid, 0) != 0 && Marshal.GetLastPInvokeError() == ESRCH) return true;
        int fd = LinuxNative.Open(statPath, LinuxNative.O_CLOEXEC);
        if (fd < 0) return false; // no /proc: trust kill(2)
        try
        {
            byte* buffer = stackalloc byte[512];
            nint read = LinuxNative.Read(fd, buffer, 512);
            if (read <= 0) return false;
            // "pid (comm) S ...": the state follows the last closing parenthesis (comm may hold one too).
            var text = new ReadOnlySpan<byte>(buffer, (int)read);
            int close = text.LastIndexOf((byte)')');
            return close >= 0 && close + 2 < text.Length && (text[close + 2] == (byte)'Z' || text[close + 2] == (byte)'X');
        }
        finally
        {
            LinuxNative.Close(fd);
        }
    }
}
