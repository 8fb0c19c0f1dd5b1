using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Cli;

/// <summary><c>flow validate &lt;graph.json&gt;...</c>: loads and builds each file without running it.</summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("graph") { Description = "One or more graph files to check.", Arity = ArgumentArity.OneOrMore };
        Option<string[]> set = GraphParameterOption.Create();
        var command = new Command("validate", "Check graph files: JSON syntax, stage types, config keys and values, ports and their packet types, " +
            "workers and cpus. Prints every error with file:line:column and JSON path; builds the graph but does not run it.")
        {
            files, set,
        };
        command.SetAction(parse => Validate(parse.GetValue(files)!, parse.GetValue(set)));
        return command;
    }

    private static int Validate(string[] files, string[]? set)
    {
        if (!GraphParameterOption.TryParse(set, out Dictionary<string, string> parameters))
        {
            return ExitCodes.Usage;
        }
        using ServiceProvider services = FlowCliServices.Create();
        int worst = ExitCodes.Success;
        foreach (string file in files)
        {
            int code = GraphLoading.TryLoad(services, file, parameters, out FlowGraph? graph);
            if (code != ExitCodes.Success)
            {
                worst = Math.Max(worst, code);
                continue;
            }
            using (graph)
            {
                Console.WriteLine($"{file}: valid ({graph!.Stages.Count} stages, {graph.Edges.Count} edges, {graph.Workers.Count} worker{(graph.Workers.Count == 1 ? "" : "s")})");
                foreach (string warning in graph.Warnings)
                {
                    Console.WriteLine($"{file}: warning: {warning}");
                }
            }
        }
        return worst;
    }
}
