namespace Flow.Hosting;

/// <summary>
/// <c>reload [file]</c>: re-reads the graph file (or another one) and applies the difference
/// to the running graph (<see cref="GraphFileReloader"/>). Another file can be named only by
/// root or the graph's own user: a graph file is trusted code (its <c>assemblies</c> run).
/// </summary>
public sealed class ReloadControlCommand(GraphFileReloader reloader) : IControlCommand
{
    public string Name => "reload";

    public string Help => "Re-read the graph file (or the one named) and apply what changed: unchanged stages keep running with their state; says what was kept, reconfigured, replaced, added and removed, and the packets lost.";

    public IReadOnlyList<ControlArgument> Arguments { get; } =
    [
        new("file", "A graph file to switch to instead of the one running (absolute path); the same parameters apply.") { Positional = true },
    ];

    public async Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? file = request.Optional("file");
        if (file is not null)
        {
            if (!Path.IsPathRooted(file))
            {
                throw new ControlCommandException($"'{file}' is not an absolute path (the graph does not know your working directory)");
            }
            uint owner = Interop.Sys.GetEUid();
            if (request.Caller is { } caller && caller.UserId != 0 && caller.UserId != owner)
            {
                throw new ControlCommandException($"you (uid {caller.UserId}) may reload the running file but not name another: a graph file runs code as the graph's user (uid {owner})");
            }
        }
        try
        {
            GraphReload reload = await reloader.ReloadAsync(file, cancellationToken).ConfigureAwait(false);
            return ControlReply.Text($"reloaded {reloader.Path}: {reload.Summary()}");
        }
        catch (Exception e) when (e is GraphFileException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            throw new ControlCommandException($"nothing changed: {e.Message}");
        }
    }
}
