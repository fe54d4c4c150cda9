namespace Wirestack.Cli.Demo;

/// <summary>One verified step of the demo: its name, whether the stacks showed it happened, and what they showed.</summary>
internal readonly record struct DemoStep(string Name, bool Ok, string Detail);
