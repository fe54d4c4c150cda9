using System.Runtime.InteropServices;

namespace Wirestack.Nic.Linux;

/// <summary>
/// The AF_PACKET and PACKET_MMAP definitions <see cref="PacketRingDevice"/> needs, with the layouts
/// the kernel's uapi header linux/if_packet.h and packet(7) describe (64-bit Linux). The generic libc
/// calls are in <see cref="LinuxNative"/>.
/// </summary>
internal static unsafe class PacketNative
{
    public const int SOL_PACKET = 263;

    /// <summary>ETH_P_ALL (every protocol) in network byte order, as sockaddr_ll wants it: htons(0x0003).</summary>
    public static ushort EthPAllNetworkOrder => BitConverter.IsLittleEndian ? (ushort)0x0300 : (ushort)0x0003;

    public const int ENOPROTOOPT = 92;
    public const int EMSGSIZE = 90;
    public const int ENXIO = 6;
    public const int ENETDOWN = 100;
    public const int ENOMEM = 12;

    // Socket options at SOL_PACKET.
    public const int PACKET_ADD_MEMBERSHIP = 1;
    public const int PACKET_DROP_MEMBERSHIP = 2;
    public const int PACKET_RX_RING = 5;
    public const int PACKET_STATISTICS = 6;
    public const int PACKET_VERSION = 10;
    public const int PACKET_HDRLEN = 11;
    public const int PACKET_TX_RING = 13;
    public const int PACKET_VNET_HDR = 15;
    public const int PACKET_FANOUT = 18;
    public const int PACKET_QDISC_BYPASS = 20;
    public const int PACKET_FANOUT_DATA = 22;
    public const int PACKET_IGNORE_OUTGOING = 23;

    // PACKET_FANOUT's type (the upper 16 bits' low byte) and flags (their high byte).
    public const int PACKET_FANOUT_EBPF = 7;
    public const int PACKET_FANOUT_FLAG_UNIQUEID = 0x2000;
    public const int PACKET_FANOUT_FLAG_IGNORE_OUTGOING = 0x4000;

    public const int PACKET_MR_PROMISC = 1;

    public const int TPACKET_V2 = 1;

    /// <summary>sll_pkttype of a frame this host sent.</summary>
    public const byte PACKET_OUTGOING = 4;

    // tp_status of a receive frame.
    public const uint TP_STATUS_KERNEL = 0;
    public const uint TP_STATUS_USER = 1 << 0;
    public const uint TP_STATUS_COPY = 1 << 1;
    public const uint TP_STATUS_LOSING = 1 << 2;
    public const uint TP_STATUS_CSUMNOTREADY = 1 << 3;
    public const uint TP_STATUS_VLAN_VALID = 1 << 4;
    public const uint TP_STATUS_VLAN_TPID_VALID = 1 << 6;
    public const uint TP_STATUS_CSUM_VALID = 1 << 7;

    // tp_status of a transmit frame.
    public const uint TP_STATUS_AVAILABLE = 0;
    public const uint TP_STATUS_SEND_REQUEST = 1 << 0;
    public const uint TP_STATUS_SENDING = 1 << 1;
    public const uint TP_STATUS_WRONG_FORMAT = 1 << 2;

    /// <summary>The bits of a transmit status that mean the kernel still owns (or refused) the frame; the rest are timestamp flags.</summary>
    public const uint TransmitOwnershipMask = TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING | TP_STATUS_WRONG_FORMAT;

    public const int TPACKET_ALIGNMENT = 16;

    /// <summary>sizeof(struct tpacket2_hdr); the kernel's own figure (PACKET_HDRLEN) is checked against it at open.</summary>
    public const int Tpacket2HeaderSize = 32;

    /// <summary>sizeof(struct sockaddr_ll).</summary>
    public const int SockaddrLlSize = 20;

    /// <summary>TPACKET2_HDRLEN: the aligned frame header plus a sockaddr_ll.</summary>
    public const int Tpacket2HeaderLength = (Tpacket2HeaderSize + TPACKET_ALIGNMENT - 1) / TPACKET_ALIGNMENT * TPACKET_ALIGNMENT + SockaddrLlSize;

    /// <summary>Where the kernel reads a transmit frame's bytes (without PACKET_TX_HAS_OFF): TPACKET2_HDRLEN - sizeof(sockaddr_ll).</summary>
    public const int TransmitDataOffset = Tpacket2HeaderLength - SockaddrLlSize;

    /// <summary>Where the kernel puts the sockaddr_ll of a received frame: right after the aligned header.</summary>
    public const int ReceiveAddressOffset = Tpacket2HeaderLength - SockaddrLlSize;

    /// <summary>
    /// Where the kernel puts an Ethernet header in a receive frame: it aligns the network header at
    /// TPACKET_ALIGN(TPACKET2_HDRLEN + max(14, 16)) and the 14-byte MAC header goes just before it.
    /// </summary>
    public const int ReceiveMacOffset = (Tpacket2HeaderLength + 16 + TPACKET_ALIGNMENT - 1) / TPACKET_ALIGNMENT * TPACKET_ALIGNMENT - 14;

    public const nuint SIOCGIFMTU = 0x8921;
    public const nuint SIOCETHTOOL = 0x8946;
    public const uint ETHTOOL_GTSO = 0x1e;

    public static int Align(int length) => (length + TPACKET_ALIGNMENT - 1) & ~(TPACKET_ALIGNMENT - 1);

    /// <summary>struct tpacket2_hdr: the header at the start of every ring frame.</summary>
    [StructLayout(LayoutKind.Explicit, Size = Tpacket2HeaderSize)]
    public struct Tpacket2Header
    {
        [FieldOffset(0)] public uint Status;
        [FieldOffset(4)] public uint Length;
        [FieldOffset(8)] public uint SnapLength;
        [FieldOffset(12)] public ushort MacOffset;
        [FieldOffset(14)] public ushort NetOffset;
        [FieldOffset(16)] public uint Seconds;
        [FieldOffset(20)] public uint Nanoseconds;
        [FieldOffset(24)] public ushort VlanTci;
        [FieldOffset(26)] public ushort VlanTpid;
    }

    /// <summary>struct sockaddr_ll: a link-layer address (bind, and the per-frame source in the RX ring).</summary>
    [StructLayout(LayoutKind.Explicit, Size = SockaddrLlSize)]
    public struct SockaddrLl
    {
        [FieldOffset(0)] public ushort Family;
        [FieldOffset(2)] public ushort Protocol;
        [FieldOffset(4)] public int InterfaceIndex;
        [FieldOffset(8)] public ushort HardwareType;
        [FieldOffset(10)] public byte PacketType;
        [FieldOffset(11)] public byte AddressLength;
        [FieldOffset(12)] public ulong Address;
    }

    /// <summary>struct tpacket_req: the geometry of one ring.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    public struct TpacketReq
    {
        [FieldOffset(0)] public uint BlockSize;
        [FieldOffset(4)] public uint BlockCount;
        [FieldOffset(8)] public uint FrameSize;
        [FieldOffset(12)] public uint FrameCount;
    }

    /// <summary>struct tpacket_stats: what PACKET_STATISTICS returns for TPACKET_V2 (and resets).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 8)]
    public struct TpacketStats
    {
        [FieldOffset(0)] public uint Packets;
        [FieldOffset(4)] public uint Drops;
    }

    /// <summary>struct packet_mreq: a membership (here: promiscuous mode) held for as long as the socket asks.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    public struct PacketMreq
    {
        [FieldOffset(0)] public int InterfaceIndex;
        [FieldOffset(4)] public ushort Type;
        [FieldOffset(6)] public ushort AddressLength;
        [FieldOffset(8)] public ulong Address;
    }

    /// <summary>struct ifreq as SIOCETHTOOL uses it: a 16-byte name, then a pointer to the ethtool command in the union.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    public struct IfReqData
    {
        [FieldOffset(0)] public fixed byte Name[16];
        [FieldOffset(16)] public void* Data;
    }

    /// <summary>struct ethtool_value: a command and its one value.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct EthtoolValue
    {
        public uint Command;
        public uint Data;
    }

    /// <summary>struct ifreq as SIOCGIFMTU uses it: a 16-byte name, then the MTU in the 24-byte union.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    public struct IfReqMtu
    {
        [FieldOffset(0)] public fixed byte Name[16];
        [FieldOffset(16)] public int Mtu;
    }
}
