namespace Wirestack.Nic;

/// <summary>Which hash <see cref="FlowSteering"/> computes over a flow's addresses and ports, and how the hash picks a shard.</summary>
public enum FlowHashFunction
{
    /// <summary>
    /// The Toeplitz hash of the 4-tuple, looked up in a 128-entry indirection table: what a NIC's receive-side scaling
    /// computes, so that <see cref="FlowSteering"/> predicts the NIC's queue (AF_XDP, <see cref="SoftwareRss"/>).
    /// </summary>
    Toeplitz,

    /// <summary>
    /// The symmetric fold Wirestack's own kernel steering program computes for the queues of a multi-queue TAP device
    /// and for an AF_PACKET fanout group: the address words and the two ports exclusive-ored together, multiplied by
    /// 0x9E3779B1 and cut to its upper 16 bits; the shard is that value modulo the shard count, as the kernel takes it.
    /// Both directions of a flow hash alike. See <see cref="FlowSteering.ForKernelQueues"/>.
    /// </summary>
    SymmetricFold,
}
