namespace Flow.Cli;

/// <summary>Where the CLI writes: results to stdout, problems to stderr, never a stack trace.</summary>
internal static class CliOutput
{
    public static void Error(string message) => Console.Error.WriteLine($"flow: {message}");

    /// <summary>Reads a graph path given on the command line; prints why and returns false when it cannot be read.</summary>
    public static bool CheckReadable(string path)
    {
        if (Directory.Exists(path))
        {
            Error($"'{path}' is a directory; expected a graph file (.json)");
            return false;
        }
        if (!File.Exists(path))
        {
            Error($"'{path}' does not exist");
            return false;
        }
        return true;
    }
}
