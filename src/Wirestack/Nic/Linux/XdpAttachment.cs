using System.Runtime.InteropServices;

namespace Wirestack.Nic.Linux;

/// <summary>The XDP programs attached to an interface: by id in driver and generic mode (0 for none), and whether one is offloaded to hardware.</summary>
[StructLayout(LayoutKind.Auto)]
internal readonly record struct XdpAttachment(uint DriverProgramId, uint GenericProgramId, bool Offloaded)
{
    public bool Any => DriverProgramId != 0 || GenericProgramId != 0 || Offloaded;
}
