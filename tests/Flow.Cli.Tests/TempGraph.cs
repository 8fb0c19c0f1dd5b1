namespace Flow.Cli.Tests;

/// <summary>A graph file in a private temp folder, removed on dispose.</summary>
internal sealed class TempGraph : IDisposable
{
    private readonly string _directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "flow-cli-tests-" + Guid.NewGuid().ToString("N"));

    public TempGraph(string json, string name = "graph.json")
    {
        Directory.CreateDirectory(_directory);
        Path = System.IO.Path.Combine(_directory, name);
        File.WriteAllText(Path, json);
    }

    public string Path { get; }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
