using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Wirestack.Nic;

/// <summary>
/// Remembers where the inner device's lent transmit slot lies, so a wrapper that passes the slot
/// straight to the stack (no copy) can read the frame back at commit. A span cannot live in a
/// field, so this keeps its address instead.
/// </summary>
/// <remarks>
/// Sound only because a device's slots do not move while lent: every Wirestack device lends
/// pinned arrays or mapped memory. A device lending a slot in an ordinary (movable) array would
/// break this; none does.
/// </remarks>
internal unsafe struct LentSlot
{
    private byte* _address;
    private int _length;

    public readonly bool IsLent => _address != null;

    public readonly int Length => _length;

    public void Lend(Span<byte> slot)
    {
        _address = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(slot));
        _length = slot.Length;
    }

    /// <summary>The first <paramref name="length"/> bytes of the slot; the caller has checked the length.</summary>
    public readonly ReadOnlySpan<byte> Read(int length) => new(_address, length);

    public void Clear()
    {
        _address = null;
        _length = 0;
    }
}
