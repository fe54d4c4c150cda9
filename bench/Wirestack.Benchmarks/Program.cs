using BenchmarkDotNet.Running;
using Wirestack.Benchmarks.DeviceRates;

// `devices` runs the device-rate benchmark (frames/s through each NIC device against the kernel);
// anything else goes to BenchmarkDotNet's switcher for the micro-benchmarks.
if (args.Length > 0 && args[0] == "devices") return DeviceRatesCommand.Run(args[1..]);

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
