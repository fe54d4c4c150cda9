using Wirestack.Testing;

namespace Wirestack.Interop.Infrastructure;

/// <summary>Runs iproute2's `ip`, failing with its own message when it refuses.</summary>
internal static class IpRoute2
{
    private static int _counter;

    public static ProcessResult Run(params string[] arguments) =>
        ProcessRunner.Run("ip", arguments).EnsureSuccess("ip " + string.Join(' ', arguments));

    /// <summary>An interface name unique to this test process (Linux allows 15 characters).</summary>
    public static string UniqueInterfaceName(string prefix) =>
        $"{prefix}{Environment.ProcessId % 100000}x{Interlocked.Increment(ref _counter)}" is var name && name.Length <= 15
            ? name
            : throw new ArgumentException($"interface name '{name}' is longer than 15 characters; use a shorter prefix.", nameof(prefix));
}
