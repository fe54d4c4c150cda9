namespace Wirestack.Nic.Linux;

/// <summary>
/// Builds an eBPF program instruction by instruction (the 8-byte encoding of linux/bpf.h: opcode, destination and
/// source registers, a signed 16-bit offset, a signed 32-bit immediate), with labels for jumps so that a hand-written
/// program need not count instructions. Only what Wirestack's small programs use.
/// </summary>
internal sealed class BpfAssembler
{
    // Opcodes: class | operation | source (K: the immediate, X: a register).
    public const byte Alu64AndK = 0x57;
    public const byte Alu64LshK = 0x67;
    public const byte Alu64RshK = 0x77;
    public const byte Alu64XorX = 0xaf;
    public const byte Alu64MovK = 0xb7;
    public const byte Alu64MovX = 0xbf;
    public const byte Alu32MulK = 0x24;
    public const byte Alu32RshK = 0x74;
    public const byte JumpAlways = 0x05;
    public const byte JumpEqualK = 0x15;
    public const byte JumpNotEqualK = 0x55;
    public const byte JumpLessK = 0xa5; // unsigned
    public const byte Exit = 0x95;
    public const byte LoadWordFromMemory = 0x61; // BPF_LDX | BPF_MEM | BPF_W: dst = *(u32 *)(src + off)
    public const byte LoadAbsoluteByte = 0x30; // BPF_LD | BPF_ABS | BPF_B: r0 = packet[imm], r6 the context
    public const byte LoadAbsoluteHalf = 0x28;
    public const byte LoadAbsoluteWord = 0x20;
    public const byte LoadIndirectWord = 0x40; // BPF_LD | BPF_IND | BPF_W: r0 = packet[src + imm]

    private readonly List<ulong> _code = [];
    private readonly List<int> _labels = [];
    private readonly List<(int At, int Label)> _jumps = [];

    /// <summary>A label to jump to, placed later with <see cref="Mark"/>.</summary>
    public int NewLabel()
    {
        _labels.Add(-1);
        return _labels.Count - 1;
    }

    /// <summary>Places <paramref name="label"/> at the next instruction.</summary>
    public void Mark(int label) => _labels[label] = _code.Count;

    /// <summary>Appends one instruction.</summary>
    public void Emit(byte code, int destination, int source = 0, short offset = 0, int immediate = 0) =>
        _code.Add(code | ((ulong)(byte)(destination | (source << 4)) << 8) | ((ulong)(ushort)offset << 16) | ((ulong)(uint)immediate << 32));

    /// <summary>Appends a conditional or unconditional jump to <paramref name="label"/>.</summary>
    public void Jump(byte code, int destination, int immediate, int label)
    {
        _jumps.Add((_code.Count, label));
        Emit(code, destination, 0, 0, immediate);
    }

    /// <summary>The program, with every jump's offset filled in.</summary>
    /// <exception cref="InvalidOperationException">A label was jumped to but never placed.</exception>
    public ulong[] Build()
    {
        var code = _code.ToArray();
        foreach (var (at, label) in _jumps)
        {
            int target = _labels[label];
            if (target < 0) throw new InvalidOperationException($"eBPF label {label} is jumped to but never placed.");
            // A jump's offset counts from the instruction after it.
            short offset = checked((short)(target - at - 1));
            code[at] = (code[at] & ~0xFFFF_0000UL) | ((ulong)(ushort)offset << 16);
        }
        return code;
    }
}
