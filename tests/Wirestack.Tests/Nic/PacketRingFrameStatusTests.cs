using Wirestack.Nic.Linux;
using static Wirestack.Nic.Linux.PacketNative;

namespace Wirestack.Tests.Nic;

/// <summary>What a TPACKET_V2 receive header's status and lengths say about a frame (<see cref="PacketRingFrameStatus"/>).</summary>
public class PacketRingFrameStatusTests
{
    private const int FrameSize = 2048;
    private const int MacOffset = 82;

    [Theory]
    [InlineData(TP_STATUS_USER, false)]
    [InlineData(TP_STATUS_USER | TP_STATUS_CSUMNOTREADY, true)]
    [InlineData(TP_STATUS_USER | TP_STATUS_CSUM_VALID, true)]
    [InlineData(TP_STATUS_USER | TP_STATUS_CSUMNOTREADY | TP_STATUS_CSUM_VALID, true)]
    [InlineData(TP_STATUS_USER | TP_STATUS_VLAN_VALID | TP_STATUS_VLAN_TPID_VALID | TP_STATUS_LOSING, false)]
    [InlineData(TP_STATUS_USER | TP_STATUS_VLAN_VALID | TP_STATUS_CSUMNOTREADY, true)]
    public void OnlyTheChecksumBitsMakeAFrameTrusted(uint status, bool trusted) =>
        Assert.Equal(trusted, PacketRingFrameStatus.TransportChecksumTrusted(status));

    [Fact]
    public void TheChecksumBitsAreTheKernelsValues()
    {
        // linux/if_packet.h: TP_STATUS_CSUMNOTREADY (1 << 3), TP_STATUS_CSUM_VALID (1 << 7).
        Assert.Equal(0x08u, TP_STATUS_CSUMNOTREADY);
        Assert.Equal(0x80u, TP_STATUS_CSUM_VALID);
    }

    [Theory]
    [InlineData(1514u, 1514u, false)]
    [InlineData(60u, 60u, false)]
    [InlineData(FrameSize - MacOffset, FrameSize - MacOffset, false)]
    // A GSO super-segment from a peer with TSO on, cut to what the slot holds.
    [InlineData(FrameSize - MacOffset, 65226u, true)]
    [InlineData(1514u, 1515u, true)]
    // Claims more bytes than the slot has room for past the MAC header.
    [InlineData(FrameSize - MacOffset + 1, FrameSize - MacOffset + 1, true)]
    public void AFrameShorterThanOnTheWireOrPastTheSlotIsTruncated(uint snapLength, uint length, bool truncated) =>
        Assert.Equal(truncated, PacketRingFrameStatus.IsTruncated(TP_STATUS_USER, MacOffset, snapLength, length, FrameSize));

    [Fact]
    public void AFramePartlyCopiedIsTruncated() =>
        Assert.True(PacketRingFrameStatus.IsTruncated(TP_STATUS_USER | TP_STATUS_COPY, MacOffset, 100, 100, FrameSize));

    [Fact]
    public void AHugeSnapLengthDoesNotOverflowTheSlotCheck() =>
        Assert.True(PacketRingFrameStatus.IsTruncated(TP_STATUS_USER, MacOffset, uint.MaxValue, uint.MaxValue, FrameSize));
}
