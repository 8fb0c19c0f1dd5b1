using System.CommandLine;
using Flow.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Cli;

/// <summary><c>flow graph &lt;graph.json&gt; --format dot|mermaid [--output file]</c>.</summary>
internal static class GraphCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("graph") { Description = "The graph file to draw." };
        var format = new Option<string>("--format", "-f")
        {
            Description = "dot (Graphviz: pipe into 'dot -Tsvg') or mermaid (paste into Markdown).",
            DefaultValueFactory = _ => "dot",
        };
        format.AcceptOnlyFromAmong("dot", "mermaid");
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file instead of stdout.", HelpName = "file" };
        Option<string[]> set = GraphParameterOption.Create();
        Option<bool> allowAssemblies = AllowAssembliesOption.Create();
        var command = new Command("graph", "Draw a graph file: workers as clusters, stages with their types, edges labelled with ports (dashed: a ring between workers). " +
            "Checks the file like 'validate' does, without opening anything it names.")
        {
            file, format, output, set, allowAssemblies,
        };
        command.SetAction(parse => Draw(parse.GetValue(file)!, parse.GetValue(format)!, parse.GetValue(output), parse.GetValue(set), parse.GetValue(allowAssemblies)));
        return command;
    }

    private static int Draw(string path, string format, string? output, string[]? set, bool allowAssemblies)
    {
        if (!GraphParameterOption.TryParse(set, out Dictionary<string, string> parameters))
        {
            return ExitCodes.Usage;
        }
        using ServiceProvider services = FlowCliServices.Create();
        int code = GraphLoading.TryCheck(services, path, parameters, allowAssemblies, out GraphOutline? graph);
        if (code != ExitCodes.Success)
        {
            return code;
        }
        string name = Path.GetFileNameWithoutExtension(path);
        string text = format == "mermaid" ? GraphDiagram.ToMermaid(graph!, name) : GraphDiagram.ToDot(graph!, name);
        if (output is null)
        {
            Console.Write(text);
            return ExitCodes.Success;
        }
        try
        {
            File.WriteAllText(output, text);
            return ExitCodes.Success;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            CliOutput.Error($"cannot write '{output}': {e.Message}");
            return ExitCodes.FileNotReadable;
        }
    }
}
