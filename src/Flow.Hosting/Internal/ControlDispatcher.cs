using Microsoft.Extensions.Logging;

namespace Flow.Hosting.Internal;

/// <summary>
/// Turns one request line into one reply line: parses, finds the command, checks its argument
/// names, runs it (one command at a time: a command may touch several stages, and two
/// interleaved <c>port set</c>s must not leave them disagreeing) with a time limit, and maps
/// every failure to an error reply. Nothing a client sends can throw out of here.
/// </summary>
internal sealed class ControlDispatcher
{
    private readonly FlowGraph _graph;
    private readonly SortedDictionary<string, IControlCommand> _commands = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;

    public ControlDispatcher(FlowGraph graph, IEnumerable<IControlCommand> commands, TimeSpan timeout, ILogger logger)
    {
        _graph = graph;
        _timeout = timeout;
        _logger = logger;
        var all = new List<IControlCommand> { new HelpControlCommand(this), new StatsControlCommand(), new StagesControlCommand() };
        all.AddRange(commands);
        var errors = new List<string>();
        foreach (IControlCommand command in all)
        {
            string name = ControlProtocol.Normalize(command.Name);
            if (name != command.Name)
            {
                errors.Add($"control command '{command.Name}' ({command.GetType().Name}): names are lower-case words separated by one space");
            }
            else if (!_commands.TryAdd(name, command))
            {
                errors.Add($"two control commands are named '{name}': {_commands[name].GetType().FullName} and {command.GetType().FullName}");
            }
        }
        if (errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, errors));
        }
    }

    public IEnumerable<IControlCommand> Commands => _commands.Values;

    public async Task<byte[]> HandleAsync(ReadOnlyMemory<byte> line, CancellationToken cancellationToken)
    {
        if (!ControlProtocol.TryParse(line, out ControlProtocol.Request? request, out string problem, out string? rawId))
        {
            return ControlProtocol.Failure(rawId, ControlErrors.BadRequest, problem);
        }
        if (!_commands.TryGetValue(request!.Command, out IControlCommand? command))
        {
            return ControlProtocol.Failure(rawId, ControlErrors.UnknownCommand, UnknownCommand(request.Command));
        }
        foreach (string argument in request.Arguments.Keys)
        {
            if (!command.Arguments.Contains(argument, StringComparer.Ordinal))
            {
                string takes = command.Arguments.Count == 0 ? "it takes none" : "it takes " + string.Join(", ", command.Arguments);
                return ControlProtocol.Failure(rawId, ControlErrors.Refused, $"'{command.Name}' has no argument '{argument}'; {takes}");
            }
        }
        var context = new ControlRequest(_graph, command.Name, request.Arguments, request.Stage);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        try
        {
            await _oneAtATime.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return ControlProtocol.Failure(rawId, ControlErrors.Busy, $"another control command is still running after {_timeout.TotalSeconds:0.#} s; try again later");
        }
        Task<ControlReply>? running = null;
        try
        {
            running = command.ExecuteAsync(context, timeout.Token);
            ControlReply reply = await running.WaitAsync(timeout.Token).ConfigureAwait(false);
            return ControlProtocol.Success(rawId, reply);
        }
        catch (Exception e) when (e is ControlCommandException or ArgumentException)
        {
            return ControlProtocol.Failure(rawId, ControlErrors.Refused, e.Message);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return ControlProtocol.Failure(rawId, ControlErrors.Timeout,
                $"'{command.Name}' got no answer within {_timeout.TotalSeconds:0.#} s (is a stage's worker stuck?); it may still complete, and other commands are refused as busy until it does");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            FlowHostingLog.ControlCommandFailed(_logger, command.Name, e);
            return ControlProtocol.Failure(rawId, ControlErrors.Failed, $"'{command.Name}' failed: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            if (running is { IsCompleted: false })
            {
                // Timed out or abandoned while the command still runs on a worker's mailbox: the
                // next command waits until this one really ends, so two 'port set's never interleave.
                _ = running.ContinueWith(static (_, semaphore) => ((SemaphoreSlim)semaphore!).Release(), _oneAtATime,
                    CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
            else
            {
                _oneAtATime.Release();
            }
        }
    }

    private string UnknownCommand(string name)
    {
        string first = name.Split(' ')[0];
        List<string> near = _commands.Keys.Where(k => k.Split(' ')[0] == first).ToList();
        return near.Count > 0
            ? $"unknown command '{name}'; '{first}' commands are: {string.Join(", ", near)}"
            : $"unknown command '{name}'; the commands are: {string.Join(", ", _commands.Keys)} ('help' describes them)";
    }
}
