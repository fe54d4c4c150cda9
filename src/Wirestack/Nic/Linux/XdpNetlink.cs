using System.Buffers.Binary;
using System.Text;

namespace Wirestack.Nic.Linux;

/// <summary>
/// Attaches, detaches and looks up an interface's XDP program over rtnetlink, as `ip link set dev X
/// xdp ...` does: RTM_SETLINK with a nested IFLA_XDP holding IFLA_XDP_FD and IFLA_XDP_FLAGS, and
/// RTM_GETLINK to read IFLA_XDP back. Setup-time only: these calls allocate freely.
/// </summary>
internal static unsafe class XdpNetlink
{
    public const uint XDP_FLAGS_UPDATE_IF_NOEXIST = 1 << 0;
    public const uint XDP_FLAGS_SKB_MODE = 1 << 1;
    public const uint XDP_FLAGS_DRV_MODE = 1 << 2;
    public const uint XDP_FLAGS_REPLACE = 1 << 4;

    public const byte XDP_ATTACHED_NONE = 0;
    public const byte XDP_ATTACHED_DRV = 1;
    public const byte XDP_ATTACHED_SKB = 2;
    public const byte XDP_ATTACHED_HW = 3;
    public const byte XDP_ATTACHED_MULTI = 4;

    private const int AF_NETLINK = 16;
    private const int NETLINK_ROUTE = 0;
    private const int SOL_NETLINK = 270;
    private const int NETLINK_CAP_ACK = 10;
    private const int NETLINK_EXT_ACK = 11;

    private const ushort NLMSG_ERROR = 2;
    private const ushort RTM_NEWLINK = 16;
    private const ushort RTM_GETLINK = 18;
    private const ushort RTM_SETLINK = 19;
    private const ushort NLM_F_REQUEST = 1;
    private const ushort NLM_F_ACK = 4;
    private const ushort NLM_F_ACK_TLVS = 0x200;
    private const ushort NLA_F_NESTED = 0x8000;
    private const ushort NlaTypeMask = 0x3fff;
    private const ushort NLMSGERR_ATTR_MSG = 1;

    private const ushort IFLA_XDP = 43;
    private const ushort IFLA_XDP_FD = 1;
    private const ushort IFLA_XDP_ATTACHED = 2;
    private const ushort IFLA_XDP_FLAGS = 3;
    private const ushort IFLA_XDP_PROG_ID = 4;
    private const ushort IFLA_XDP_DRV_PROG_ID = 5;
    private const ushort IFLA_XDP_SKB_PROG_ID = 6;
    private const ushort IFLA_XDP_EXPECTED_FD = 8;

    private const int HeaderLength = 16; // struct nlmsghdr
    private const int IfInfoLength = 16; // struct ifinfomsg

    private static int _sequence;

    /// <summary>
    /// Attaches <paramref name="programFd"/> (or detaches, with -1) in the mode <paramref name="flags"/> names.
    /// With <paramref name="expectedFd"/> at or above 0, only if that program is the one attached
    /// (XDP_FLAGS_REPLACE). Returns 0, or the errno with the kernel's own explanation when it gives one.
    /// </summary>
    public static int SetProgram(int interfaceIndex, int programFd, uint flags, int expectedFd, out string explanation)
    {
        var message = new byte[128];
        int length = HeaderLength;
        WriteIfInfo(message, ref length, interfaceIndex);
        int nest = length;
        length += 4;
        WriteAttribute(message, ref length, IFLA_XDP_FD, programFd);
        if (expectedFd >= 0)
        {
            flags |= XDP_FLAGS_REPLACE;
            WriteAttribute(message, ref length, IFLA_XDP_EXPECTED_FD, expectedFd);
        }
        WriteAttribute(message, ref length, IFLA_XDP_FLAGS, (int)flags);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(nest), (ushort)(length - nest));
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(nest + 2), IFLA_XDP | NLA_F_NESTED);
        WriteHeader(message, length, RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK);
        return Exchange(message.AsSpan(0, length), out _, out explanation);
    }

    /// <summary>What XDP program an interface has, in which mode; false (with the errno) if the kernel would not say.</summary>
    public static bool Query(int interfaceIndex, out XdpAttachment attachment, out int errno)
    {
        attachment = default;
        var message = new byte[HeaderLength + IfInfoLength];
        int length = HeaderLength;
        WriteIfInfo(message, ref length, interfaceIndex);
        WriteHeader(message, length, RTM_GETLINK, NLM_F_REQUEST);
        errno = Exchange(message, out byte[]? reply, out _);
        if (errno != 0 || reply is null) return false;

        var attributes = reply.AsSpan(HeaderLength + IfInfoLength, BinaryPrimitives.ReadInt32LittleEndian(reply) - HeaderLength - IfInfoLength);
        if (!FindAttribute(attributes, IFLA_XDP, out var xdp)) return true; // no XDP support at all: nothing attached
        byte mode = FindAttribute(xdp, IFLA_XDP_ATTACHED, out var value) && value.Length >= 1 ? value[0] : XDP_ATTACHED_NONE;
        uint single = FindAttribute(xdp, IFLA_XDP_PROG_ID, out value) ? BinaryPrimitives.ReadUInt32LittleEndian(value) : 0;
        uint driver = FindAttribute(xdp, IFLA_XDP_DRV_PROG_ID, out value) ? BinaryPrimitives.ReadUInt32LittleEndian(value) : 0;
        uint generic = FindAttribute(xdp, IFLA_XDP_SKB_PROG_ID, out value) ? BinaryPrimitives.ReadUInt32LittleEndian(value) : 0;
        if (mode == XDP_ATTACHED_DRV && driver == 0) driver = single;
        if (mode == XDP_ATTACHED_SKB && generic == 0) generic = single;
        attachment = new XdpAttachment(driver, generic, mode == XDP_ATTACHED_HW || (mode == XDP_ATTACHED_MULTI && driver == 0 && generic == 0));
        return true;
    }

    private static void WriteIfInfo(byte[] message, ref int length, int interfaceIndex)
    {
        message[length] = 0; // AF_UNSPEC
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(length + 4), interfaceIndex);
        length += IfInfoLength;
    }

    private static void WriteAttribute(byte[] message, ref int length, ushort type, int value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(length), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(length + 2), type);
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(length + 4), value);
        length += 8;
    }

    private static void WriteHeader(byte[] message, int length, ushort type, ushort flags)
    {
        BinaryPrimitives.WriteInt32LittleEndian(message, length);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(6), flags);
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(8), Interlocked.Increment(ref _sequence));
    }

    // Sends one request and reads until its answer: an RTM_NEWLINK (returned in reply) or an
    // NLMSG_ERROR carrying 0 (ack) or a negative errno.
    private static int Exchange(ReadOnlySpan<byte> request, out byte[]? reply, out string explanation)
    {
        reply = null;
        explanation = "";
        int fd = LinuxNative.Socket(AF_NETLINK, LinuxNative.SOCK_RAW | LinuxNative.SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0) return LinuxNative.LastError;
        try
        {
            int on = 1;
            LinuxNative.SetSockOpt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof(int));
            LinuxNative.SetSockOpt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof(int));
            byte* kernel = stackalloc byte[12];
            new Span<byte>(kernel, 12).Clear();
            *(ushort*)kernel = AF_NETLINK;
            fixed (byte* bytes = request)
            {
                if (LinuxNative.SendTo(fd, bytes, (nuint)request.Length, 0, kernel, 12) < 0) return LinuxNative.LastError;
            }
            int sequence = BinaryPrimitives.ReadInt32LittleEndian(request[8..]);
            var buffer = new byte[65536];
            while (true)
            {
                nint received;
                fixed (byte* bytes = buffer) received = LinuxNative.Read(fd, bytes, buffer.Length);
                if (received < 0)
                {
                    int errno = LinuxNative.LastError;
                    if (errno == LinuxNative.EINTR) continue;
                    return errno;
                }
                for (int at = 0; at + HeaderLength <= received;)
                {
                    int length = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(at));
                    if (length < HeaderLength || at + length > received) break;
                    ushort type = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(at + 4));
                    ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(at + 6));
                    if (BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(at + 8)) == sequence)
                    {
                        if (type == NLMSG_ERROR)
                        {
                            int error = -BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(at + HeaderLength));
                            int tlvs = HeaderLength + 4 + HeaderLength; // the request's header comes back, capped
                            if ((flags & NLM_F_ACK_TLVS) != 0 && length > tlvs
                                && FindAttribute(buffer.AsSpan(at + tlvs, length - tlvs), NLMSGERR_ATTR_MSG, out var text))
                                explanation = Encoding.UTF8.GetString(text.TrimEnd((byte)0));
                            return error;
                        }
                        if (type == RTM_NEWLINK)
                        {
                            reply = buffer.AsSpan(at, length).ToArray();
                            return 0;
                        }
                    }
                    at += (length + 3) & ~3;
                }
            }
        }
        finally
        {
            LinuxNative.Close(fd);
        }
    }

    private static bool FindAttribute(ReadOnlySpan<byte> attributes, ushort wanted, out ReadOnlySpan<byte> value)
    {
        while (attributes.Length >= 4)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(attributes);
            ushort type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(attributes[2..]) & NlaTypeMask);
            if (length < 4 || length > attributes.Length) break;
            if (type == wanted)
            {
                value = attributes[4..length];
                return true;
            }
            int next = (length + 3) & ~3;
            if (next >= attributes.Length) break;
            attributes = attributes[next..];
        }
        value = default;
        return false;
    }
}
