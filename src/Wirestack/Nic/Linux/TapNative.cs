using System.Runtime.InteropServices;
using System.Text;

namespace Wirestack.Nic.Linux;

/// <summary>
/// What the TAP device needs beyond <see cref="LinuxNative"/>: the tun driver's ioctls, the
/// interface ioctls it sets MTU and flags with, and <c>struct ifreq</c> (linux/if.h, if_tun.h,
/// sockios.h).
/// </summary>
internal static unsafe class TapNative
{
    public const string CloneDevicePath = "/dev/net/tun";

    /// <summary>IFNAMSIZ: an interface name and its terminating NUL.</summary>
    public const int InterfaceNameSize = 16;

    // _IOW('T', 202, int) and friends; the argument size is part of the number.
    public const nuint TUNSETIFF = 0x400454CA;
    public const nuint TUNSETPERSIST = 0x400454CB;
    public const nuint TUNSETOFFLOAD = 0x400454D0;
    public const nuint TUNSETVNETHDRSZ = 0x400454D8;

    /// <summary>_IOR('T', 224, int): attaches (or with -1 detaches) a socket-filter program that picks the transmit queue.</summary>
    public const nuint TUNSETSTEERINGEBPF = 0x800454E0;

    public const nuint SIOCGIFFLAGS = 0x8913;
    public const nuint SIOCSIFFLAGS = 0x8914;
    public const nuint SIOCGIFMTU = 0x8921;
    public const nuint SIOCSIFMTU = 0x8922;
    public const nuint SIOCGIFHWADDR = 0x8927;

    public const short IFF_TAP = 0x0002;
    public const short IFF_MULTI_QUEUE = 0x0100;
    public const short IFF_NO_PI = 0x1000;
    public const short IFF_VNET_HDR = 0x4000;

    // TUNSETOFFLOAD: what the kernel may hand this descriptor unfinished (checksums left partial, TCP segments
    // longer than the MTU), and what it then accepts from it.
    public const uint TUN_F_CSUM = 0x01;
    public const uint TUN_F_TSO4 = 0x02;
    public const uint TUN_F_TSO6 = 0x04;
    public const uint TUN_F_USO4 = 0x20;
    public const uint TUN_F_USO6 = 0x40;

    public const short IFF_UP = 0x1;

    public const int EBUSY = 16;
    public const int E2BIG = 7;
    public const int EBADFD = 77;

    /// <summary>
    /// <c>struct ifreq</c> on 64-bit Linux: the name, then a 24-byte union of which the tap code
    /// uses the flags, the MTU and the hardware address (a <c>struct sockaddr</c>).
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    public struct IfReq
    {
        [FieldOffset(0)] public fixed byte Name[InterfaceNameSize];
        [FieldOffset(16)] public short Flags;
        [FieldOffset(16)] public int Mtu;
        [FieldOffset(16)] public ushort HardwareFamily;
        [FieldOffset(18)] public fixed byte HardwareAddress[14];

        /// <summary>Writes <paramref name="name"/> NUL-terminated; the caller has checked it fits.</summary>
        public void SetName(string? name)
        {
            fixed (byte* destination = Name)
            {
                var span = new Span<byte>(destination, InterfaceNameSize);
                span.Clear();
                if (!string.IsNullOrEmpty(name)) Encoding.UTF8.GetBytes(name, span[..(InterfaceNameSize - 1)]);
            }
        }

        public readonly string GetName()
        {
            fixed (byte* source = Name)
            {
                var span = new ReadOnlySpan<byte>(source, InterfaceNameSize);
                int end = span.IndexOf((byte)0);
                return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
            }
        }
    }
}
