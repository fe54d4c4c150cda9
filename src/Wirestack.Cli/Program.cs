using System.CommandLine;
using Wirestack.Cli.Demo;

var bytesOption = new Option<long>("--bytes")
{
    Description = "How many bytes the TCP transfer carries.",
    DefaultValueFactory = _ => 256L << 20,
};
bytesOption.Validators.Add(result =>
{
    long value = result.GetValueOrDefault<long>();
    if (value <= 0 || value > 1L << 40) result.AddError($"--bytes must be between 1 and {1L << 40}; got {value}.");
});
var pcapOption = new Option<FileInfo?>("--pcap") { Description = "Also write every frame to this pcap file (opens in Wireshark)." };
var verboseOption = new Option<bool>("--verbose", "-v") { Description = "Print every control frame as it crosses the link." };

var demo = new Command("demo", "Two hosts on an in-process link: ARP, NDP, ping v4/v6, a TCP transfer checked with SHA-256, multicast. No privileges needed.")
{
    bytesOption, pcapOption, verboseOption,
};
demo.SetAction(parse =>
{
    var options = new DemoOptions(
        parse.GetValue(bytesOption),
        parse.GetValue(pcapOption)?.FullName,
        parse.GetValue(verboseOption),
        ShowProgress: !Console.IsOutputRedirected);
    try
    {
        return new StackDemo(options, Console.Out).Run();
    }
    catch (DirectoryNotFoundException e)
    {
        Console.Error.WriteLine($"wirestack demo: {e.Message} Give --pcap a path in an existing directory.");
        return 2;
    }
    catch (IOException e)
    {
        Console.Error.WriteLine($"wirestack demo: {e.Message}");
        return 2;
    }
    catch (UnauthorizedAccessException e)
    {
        Console.Error.WriteLine($"wirestack demo: {e.Message} Choose a --pcap path you can write.");
        return 2;
    }
});

var root = new RootCommand("Wirestack: a user-space TCP/IP stack for .NET.") { demo };
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors) Console.Error.WriteLine($"wirestack: {error.Message}");
    Console.Error.WriteLine("Run 'wirestack --help' for usage.");
    return 2;
}
return parsed.Invoke();
