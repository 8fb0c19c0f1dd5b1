using System.CommandLine;
using Flow.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Cli;

/// <summary>
/// <c>flow validate &lt;graph.json&gt;...</c>: checks each file without running it or opening
/// anything it names (<see cref="GraphFileLoader.Check"/>).
/// </summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("graph") { Description = "One or more graph files to check.", Arity = ArgumentArity.OneOrMore };
        Option<string[]> set = GraphParameterOption.Create();
        Option<bool> allowAssemblies = AllowAssembliesOption.Create();
        var command = new Command("validate", "Check graph files: JSON syntax, stage types, config keys and values, ports and their packet types, " +
            "workers and cpus. Prints every error with file:line:column and JSON path. A dry run: no device, socket or file the graph names is opened, " +
            "and the file's 'assemblies' are refused unless --allow-assemblies is given.")
        {
            files, set, allowAssemblies,
        };
        command.SetAction(parse => Validate(parse.GetValue(files)!, parse.GetValue(set), parse.GetValue(allowAssemblies)));
        return command;
    }

    private static int Validate(string[] files, string[]? set, bool allowAssemblies)
    {
        if (!GraphParameterOption.TryParse(set, out Dictionary<string, string> parameters))
        {
            return ExitCodes.Usage;
        }
        int worst = ExitCodes.Success;
        foreach (string file in files)
        {
            // A provider per file: it owns the tables a graph's stages share (one route and
            // neighbour table per router or stack), so two such files checked together do not meet.
            using ServiceProvider services = FlowCliServices.Create();
            int code = GraphLoading.TryCheck(services, file, parameters, allowAssemblies, out GraphOutline? graph);
            if (code != ExitCodes.Success)
            {
                worst = Math.Max(worst, code);
                continue;
            }
            Console.WriteLine($"{file}: valid ({graph!.Stages.Count} stages, {graph.Edges.Count} edges, {graph.Workers.Count} worker{(graph.Workers.Count == 1 ? "" : "s")})");
            foreach (string warning in graph.Warnings)
            {
                Console.WriteLine($"{file}: warning: {warning}");
            }
        }
        return worst;
    }
}
