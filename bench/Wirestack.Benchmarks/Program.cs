using BenchmarkDotNet.Running;
using Wirestack.Benchmarks.DeviceRates;
using Wirestack.Benchmarks.PipeTcp;
using Wirestack.Benchmarks.Shards;
using Wirestack.Benchmarks.ShmTcp;
using Wirestack.Benchmarks.TapTcp;
using Wirestack.Benchmarks.UdpEcho;

// `devices` runs the device-rate benchmark (frames/s through each NIC device against the kernel);
// anything else goes to BenchmarkDotNet's switcher for the micro-benchmarks.
if (args.Length > 0 && args[0] == "devices") return DeviceRatesCommand.Run(args[1..]);
// `udp-echo` runs UDP echo between two stacks over the pipe device against the kernel's over loopback.
if (args.Length > 0 && args[0] == "udp-echo") return UdpEchoCommand.Run(args[1..]);
// `shm` runs TCP goodput between two processes over the shared-memory pipe against kernel loopback TCP.
if (args.Length > 0 && args[0] == "shm") return ShmTcpCommand.Run(args[1..]);
// `shards` runs UDP echo through a ShardedNetwork of 1 and of 2 shards against a kernel client, as a scaling ratio.
if (args.Length > 0 && args[0] == "shards") return ShardScalingCommand.Run(args[1..]);
// `tap-tcp` runs TCP goodput between Wirestack on a TAP device and the kernel, against kernel iperf3 over veth.
if (args.Length > 0 && args[0] == "tap-tcp") return TapTcpCommand.Run(args[1..]);
// `tcp-pipe` runs bulk TCP and connection setup between two stacks over the in-process pipe against kernel loopback.
if (args.Length > 0 && args[0] == "tcp-pipe") return TcpPipeCommand.Run(args[1..]);

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
