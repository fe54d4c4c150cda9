namespace Wirestack.Benchmarks.DeviceRates;

/// <summary>Who sends and who receives in a row.</summary>
internal enum RateDirection
{
    /// <summary>A Wirestack thread sends, another receives.</summary>
    InProcess,

    /// <summary>Wirestack sends, the kernel receives (and drops).</summary>
    WirestackToKernel,

    /// <summary>A kernel UDP sender sends, Wirestack receives.</summary>
    KernelToWirestack,

    /// <summary>The kernel on both ends.</summary>
    KernelToKernel,
}
