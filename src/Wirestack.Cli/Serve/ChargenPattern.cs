namespace Wirestack.Cli.Serve;

/// <summary>
/// The character generator's output (RFC 864's suggested pattern): lines of 72 of the 95 printable ASCII characters
/// followed by CR LF, each line starting one character later than the one before. The pattern repeats every 95 lines.
/// </summary>
internal static class ChargenPattern
{
    /// <summary>Characters per line before CR LF.</summary>
    public const int LineLength = 72;

    private const int Printable = 95;

    /// <summary>One full cycle of the pattern, 95 lines of 74 bytes.</summary>
    public static byte[] Cycle { get; } = MakeCycle();

    /// <summary>The first <paramref name="length"/> bytes a chargen connection sends.</summary>
    public static byte[] Prefix(int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = Cycle[i % Cycle.Length];
        return bytes;
    }

    private static byte[] MakeCycle()
    {
        var cycle = new byte[Printable * (LineLength + 2)];
        int at = 0;
        for (int line = 0; line < Printable; line++)
        {
            for (int i = 0; i < LineLength; i++) cycle[at++] = (byte)(' ' + (line + i) % Printable);
            cycle[at++] = (byte)'\r';
            cycle[at++] = (byte)'\n';
        }
        return cycle;
    }
}
