using Wirestack.Diagnostics;
using Wirestack.Testing;

namespace Wirestack.Interop.Wire;

/// <summary>
/// The committed fixture proves parse/emit symmetry against yesterday's kernel; this captures the
/// running kernel afresh (two namespaces joined by veth, tcpdump, ping, curl, socat, multicast)
/// with the same script and proves it again, so a kernel that changed its ways is noticed.
/// </summary>
public class LiveKernelCaptureTests
{
    [Fact]
    public void FreshKernelCaptureParsesAndReEmitsByteForByte()
    {
        Prerequisites.RequireRoot();
        foreach (var (tool, package) in new[] { ("ip", "iproute2"), ("tcpdump", "tcpdump"), ("ping", "iputils-ping"), ("curl", "curl"), ("socat", "socat"), ("ethtool", "ethtool") })
            Prerequisites.RequireTool(tool, package);
        string script = RepositoryPaths.Combine("tests", "fixtures", "capture-kernel-traffic.sh");
        string pcap = Path.Combine(Path.GetTempPath(), $"wirestack-live-{Environment.ProcessId}.pcap");
        try
        {
            ProcessRunner.Run("bash", [script, pcap], TimeSpan.FromMinutes(2)).EnsureSuccess("capture-kernel-traffic.sh");
            var output = new byte[65536];
            var failures = new List<string>();
            int count = 0;
            using (var reader = PcapReader.Open(pcap))
            {
                while (reader.TryReadFrame(out var record))
                {
                    count++;
                    string? problem = FrameReEmitter.CheckRoundTrip(record.Data.ToArray(), output);
                    if (problem is not null) failures.Add($"frame {count}: {problem}");
                }
            }
            Assert.True(count > 80, $"the capture holds only {count} frames");
            Assert.True(failures.Count == 0, string.Join('\n', failures));
        }
        finally
        {
            File.Delete(pcap);
        }
    }
}
