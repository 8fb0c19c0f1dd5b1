namespace Flow.Integration.Tests;

/// <summary>The repository's shipped graph files, found from the test binary up to Flow.sln.</summary>
internal static class PipelineFiles
{
    /// <summary>pipelines/<paramref name="fileName"/> of this checkout.</summary>
    public static string PathOf(string fileName)
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(Path.Combine(directory, "Flow.sln")))
        {
            directory = Path.GetDirectoryName(directory);
        }
        return Path.Combine(directory ?? throw new InvalidOperationException("Flow.sln not found"), "pipelines", fileName);
    }
}
