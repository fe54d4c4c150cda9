namespace Wirestack.Tests.Wire;

/// <summary>Hand-checked test vectors are written as hex with optional spaces.</summary>
internal static class HexBytes
{
    public static byte[] Parse(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal));
}
