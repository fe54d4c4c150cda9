using System.Buffers.Binary;

namespace Wirestack.Tests.Diagnostics;

/// <summary>
/// Builds pcap files field by field in either byte order, independently of PcapWriter, so the reader is tested
/// against bytes laid out by hand rather than against its own writer.
/// </summary>
internal sealed class PcapFileBuilder
{
    public const uint MicrosecondMagic = 0xA1B2C3D4;
    public const uint NanosecondMagic = 0xA1B23C4D;

    private readonly MemoryStream _bytes = new();
    private readonly bool _bigEndian;

    public PcapFileBuilder(bool bigEndian) => _bigEndian = bigEndian;

    public PcapFileBuilder GlobalHeader(uint magic = NanosecondMagic, ushort major = 2, ushort minor = 4, uint snapLength = 65535, uint linkType = 1)
    {
        UInt32(magic);
        UInt16(major);
        UInt16(minor);
        UInt32(0);
        UInt32(0);
        UInt32(snapLength);
        UInt32(linkType);
        return this;
    }

    public PcapFileBuilder Record(uint seconds, uint fraction, byte[] data, uint? originalLength = null, uint? capturedLength = null)
    {
        UInt32(seconds);
        UInt32(fraction);
        UInt32(capturedLength ?? (uint)data.Length);
        UInt32(originalLength ?? (uint)data.Length);
        _bytes.Write(data);
        return this;
    }

    public PcapFileBuilder Raw(params byte[] bytes)
    {
        _bytes.Write(bytes);
        return this;
    }

    public byte[] ToArray() => _bytes.ToArray();

    public MemoryStream ToStream() => new(ToArray(), writable: false);

    private void UInt16(ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        if (_bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, value);
        else BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        _bytes.Write(b);
    }

    private void UInt32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        if (_bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, value);
        else BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        _bytes.Write(b);
    }
}
