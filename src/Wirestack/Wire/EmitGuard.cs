namespace Wirestack.Wire;

/// <summary>Argument checks shared by every repr's Emit: a short buffer is a caller's bug, so it throws.</summary>
internal static class EmitGuard
{
    public static void RequireLength(Span<byte> buffer, int length)
    {
        if (buffer.Length < length) ThrowTooShort(buffer.Length, length);
    }

    private static void ThrowTooShort(int have, int need) =>
        throw new ArgumentException($"The buffer holds {have} bytes but the header needs {need}; size it with the repr's length property.", "buffer");
}
