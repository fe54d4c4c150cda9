using Wirestack.Nic.Linux;
using static Wirestack.Nic.Linux.PacketNative;

namespace Wirestack.Nic;

// Several devices on one interface as the queues of one AF_PACKET fanout group: the kernel hands each received frame
// to exactly one of the sockets, the one a steering program picks. Each socket keeps its own receive and transmit rings.
public sealed unsafe partial class PacketRingDevice
{
    /// <summary>
    /// Opens <paramref name="count"/> devices on <paramref name="interfaceName"/> and joins them, in order, to a new
    /// fanout group of type PACKET_FANOUT_EBPF whose program is <paramref name="programFd"/>: socket i receives the
    /// frames for which the program's answer modulo <paramref name="count"/> is i. The group's id is unique (the kernel
    /// picks it, PACKET_FANOUT_FLAG_UNIQUEID), and the group ignores frames this host sends
    /// (PACKET_FANOUT_FLAG_IGNORE_OUTGOING; before Linux 6.2, each device skips them by their packet type). Frames a
    /// member sends never come back to the group anyway: the kernel does not loop a group's frames back to it.
    /// </summary>
    /// <exception cref="IOException">The kernel refused a step (the message names it).</exception>
    internal static PacketRingDevice[] OpenFanout(string interfaceName, PacketRingDeviceOptions? options, int count, int programFd)
    {
        var devices = new PacketRingDevice[count];
        int opened = 0;
        try
        {
            int groupId = 0;
            bool kernelIgnoresOutgoing = true;
            for (; opened < count; opened++)
            {
                var device = Open(interfaceName, options);
                devices[opened] = device;
                if (opened == 0)
                {
                    // A fresh group: the kernel picks an id no other group in this namespace has.
                    int flags = PACKET_FANOUT_FLAG_UNIQUEID | PACKET_FANOUT_FLAG_IGNORE_OUTGOING;
                    if (!device.TryJoinFanout(0, flags, out int errno) && errno == LinuxNative.EINVAL)
                    {
                        // Kernels before 6.2 know no PACKET_FANOUT_FLAG_IGNORE_OUTGOING.
                        kernelIgnoresOutgoing = false;
                        if (!device.TryJoinFanout(0, PACKET_FANOUT_FLAG_UNIQUEID, out errno)) throw device.FanoutRefused("setsockopt(PACKET_FANOUT) making the group", errno);
                    }
                    else if (errno != 0)
                    {
                        throw device.FanoutRefused("setsockopt(PACKET_FANOUT) making the group", errno);
                    }
                    groupId = device.FanoutGroupId();
                    // The program belongs to the group; until it is set, every frame goes to the first socket.
                    if (LinuxNative.SetSockOpt(device._fd, SOL_PACKET, PACKET_FANOUT_DATA, &programFd, sizeof(int)) != 0)
                        throw device.FanoutRefused("setsockopt(PACKET_FANOUT_DATA) attaching the steering program", LinuxNative.LastError);
                }
                else if (!device.TryJoinFanout(groupId, kernelIgnoresOutgoing ? PACKET_FANOUT_FLAG_IGNORE_OUTGOING : 0, out int errno))
                {
                    throw device.FanoutRefused($"setsockopt(PACKET_FANOUT) joining socket {opened} to group {groupId}", errno);
                }
                device._skipOutgoing |= !kernelIgnoresOutgoing;
                // Until it joined, the socket had a tap of its own and received every frame, as its siblings did:
                // those copies are duplicates.
                device.DiscardReceived();
            }
            return devices;
        }
        catch
        {
            for (int i = 0; i < opened; i++) devices[i].Dispose();
            throw;
        }
    }

    /// <summary>The fanout group this socket belongs to (PACKET_FANOUT's id), or 0 when it is in none.</summary>
    internal int FanoutGroupId()
    {
        int value = 0;
        uint size = sizeof(int);
        if (LinuxNative.GetSockOpt(_fd, SOL_PACKET, PACKET_FANOUT, &value, &size) != 0) return 0;
        return value & 0xFFFF;
    }

    private bool TryJoinFanout(int groupId, int flags, out int errno)
    {
        int value = groupId | ((PACKET_FANOUT_EBPF | flags) << 16);
        errno = LinuxNative.SetSockOpt(_fd, SOL_PACKET, PACKET_FANOUT, &value, sizeof(int)) == 0 ? 0 : LinuxNative.LastError;
        return errno == 0;
    }

    // Hands every frame waiting in the receive ring back to the kernel unread; nothing is lent yet.
    private void DiscardReceived()
    {
        for (int looked = 0; looked < _ringSize; looked++)
        {
            var header = (Tpacket2Header*)ReceiveFrame(_receiveNext);
            if ((Volatile.Read(ref header->Status) & TP_STATUS_USER) == 0) break;
            Volatile.Write(ref header->Status, TP_STATUS_KERNEL);
            _receiveNext++;
        }
    }

    private IOException FanoutRefused(string step, int errno) =>
        new($"Joining AF_PACKET sockets on '{InterfaceName}' into a fanout group failed: {step} was refused with {LinuxNative.Describe(errno)}.");
}
