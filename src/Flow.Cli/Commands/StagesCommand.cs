using System.CommandLine;
using System.Runtime.Loader;
using Flow.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Cli;

/// <summary><c>flow stages [type] [--assembly file.dll]</c>: registered stage types, their ports, drop reasons and config keys.</summary>
internal static class StagesCommand
{
    public static Command Create()
    {
        var type = new Argument<string?>("type") { Description = "Show only this stage type.", Arity = ArgumentArity.ZeroOrOne };
        var assemblies = new Option<string[]>("--assembly", "-a")
        {
            Description = "Also list the stage types of this assembly (as a graph file's \"assemblies\" would load them). Repeatable.",
            HelpName = "file.dll",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("stages", "List the stage types a graph file can use: input type, output ports with the packet types they carry, drop reasons, and config keys with defaults.")
        {
            type, assemblies,
        };
        command.SetAction(parse => List(parse.GetValue(type), parse.GetValue(assemblies) ?? []));
        return command;
    }

    private static int List(string? only, string[] assemblies)
    {
        using ServiceProvider services = FlowCliServices.Create();
        var entries = services.GetRequiredService<StageRegistry>().All.Select(StageCatalogEntry.Of).ToList();
        foreach (string path in assemblies)
        {
            if (!CliOutput.CheckReadable(path))
            {
                return ExitCodes.FileNotReadable;
            }
            try
            {
                var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.GetFullPath(path));
                entries.AddRange(StageAssemblyScanner.Scan(assembly).Select(StageCatalogEntry.Of).Where(e => entries.All(x => x.TypeName != e.TypeName)));
            }
            catch (BadImageFormatException)
            {
                CliOutput.Error($"'{path}' is not a .NET assembly");
                return ExitCodes.FileNotReadable;
            }
        }
        if (only is not null)
        {
            entries = entries.Where(e => e.TypeName == only).ToList();
            if (entries.Count == 0)
            {
                CliOutput.Error($"no stage type named '{only}'; run 'flow stages' for the list");
                return ExitCodes.Usage;
            }
        }
        var output = Console.Out;
        foreach (StageCatalogEntry entry in entries.OrderBy(e => e.TypeName, StringComparer.Ordinal))
        {
            output.WriteLine($"{entry.TypeName}  —  {entry.Help}");
            output.WriteLine($"  input:  {(entry.IsSource ? "none (source)" : PacketType(entry.Accepts ?? typeof(Carries.Any)))}");
            if (entry.Ports.Count == 0)
            {
                output.WriteLine("  ports:  none (sink)");
            }
            foreach (PortDescriptor port in entry.Ports)
            {
                string carries = port.Carries == typeof(Carries.SameAsInput) ? "same as input" : PacketType(port.Carries);
                output.WriteLine($"  port    {port.Name}: {carries}{(port.Description.Length > 0 ? " — " + port.Description : "")}");
            }
            foreach (DropReasonDescriptor reason in entry.DropReasons.Where(r => r.Symbol is not StageDescriptor.StageFault and not StageDescriptor.InvalidNext))
            {
                output.WriteLine($"  drop    {reason.Symbol} ({reason.Severity.ToString().ToLowerInvariant()}): {reason.Description}");
            }
            if (entry.ConfigKeys.Count == 0)
            {
                output.WriteLine("  config: none");
            }
            foreach (ConfigKey key in entry.ConfigKeys)
            {
                string value = key.Required ? "required" : $"default {key.Default ?? "null"}";
                output.WriteLine($"  config  {key.Name}: {key.Expected}; {value}{(key.Description is null ? "" : " — " + key.Description)}");
            }
            output.WriteLine();
        }
        output.WriteLine("Packet types: any > ethernet > ipv4 | ipv6 | arp; a stage accepting a type takes its subtypes too.");
        output.WriteLine("Every stage also counts the implicit drop reasons stage_fault and invalid_next (bugs).");
        output.WriteLine("port_rx, port_tx: a port whose backend is a config value (\"backend\": \"af_packet\", plus that backend's keys); " +
            "it becomes <backend>_rx / <backend>_tx. See docs/graph-format.md.");
        return ExitCodes.Success;
    }

    /// <summary><c>Carries.Ipv4</c> → <c>ipv4</c>; user packet types by their snake_case name.</summary>
    private static string PacketType(Type type) =>
        System.Text.RegularExpressions.Regex.Replace(type.Name, "(?<=[a-z0-9])([A-Z])", "_$1").ToLowerInvariant();
}
