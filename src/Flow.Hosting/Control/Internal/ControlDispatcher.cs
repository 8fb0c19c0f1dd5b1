using Flow.Hosting.Live;
using Microsoft.Extensions.Logging;

namespace Flow.Hosting.Internal;

/// <summary>
/// Turns one request line into one reply line: parses, finds the command (by name, or by the
/// leading words of a typed line, whose remaining words are its positional arguments), checks
/// the arguments against the command's declaration, runs it (one command at a time: a command
/// may touch several stages, and two interleaved <c>port set</c>s must not leave them
/// disagreeing) with a time limit, and maps every failure to an error reply. Nothing a client
/// sends can throw out of here.
/// </summary>
/// <remarks>
/// The commands are the built-in <c>help</c>, <c>stats</c> and <c>stages</c>, those given (from
/// DI), and those the graph's stages declare (<see cref="IControlledStage"/>) — so what the
/// endpoint offers is what this graph can do, and a new stage's verbs need no CLI change.
/// </remarks>
internal sealed class ControlDispatcher
{
    private readonly FlowGraph _graph;
    private readonly List<IControlCommand> _given;
    private SortedDictionary<string, ControlVerb> _verbs;
    private int _mostWords;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;
    private readonly LiveCapture _capture = new();
    private readonly LiveTrace _trace = new();

    public ControlDispatcher(FlowGraph graph, IEnumerable<IControlCommand> commands, TimeSpan timeout, ILogger logger)
    {
        _graph = graph;
        _timeout = timeout;
        _logger = logger;
        _given =
        [
            new HelpControlCommand(this), new StatsControlCommand(), new StagesControlCommand(), new DevicesControlCommand(),
            new CaptureStartControlCommand(_capture), new CaptureStopControlCommand(_capture),
            new CaptureShowControlCommand(_capture), new TraceStartControlCommand(_trace),
            new TraceShowControlCommand(_trace), new TraceStopControlCommand(_trace),
            .. commands,
        ];
        var errors = new List<string>();
        Serve(BuildVerbs(errors));
        if (errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, errors.Distinct()));
        }
        graph.Reloaded += OnReloaded;
    }

    /// <summary>A reload may have brought stages with commands of their own, or taken some away.</summary>
    private void OnReloaded(object? sender, GraphReload reload)
    {
        var errors = new List<string>();
        SortedDictionary<string, ControlVerb> verbs = BuildVerbs(errors);
        foreach (string error in errors.Distinct())
        {
            FlowHostingLog.ControlCommandRefused(_logger, error);
        }
        Serve(verbs);
    }

    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_verbs))]
    private void Serve(SortedDictionary<string, ControlVerb> verbs)
    {
        _mostWords = verbs.Keys.Max(k => k.Split(' ').Length);
        _verbs = verbs;
    }

    /// <summary>The built-in and given commands, and those the graph's stages declare now; a command that clashes is left out, with its error.</summary>
    private SortedDictionary<string, ControlVerb> BuildVerbs(List<string> errors)
    {
        var verbs = new SortedDictionary<string, ControlVerb>(StringComparer.Ordinal);
        var all = _given.Select(c => (Command: c, Stage: (StageInfo?)null)).ToList();
        foreach (StageInfo stage in _graph.Stages)
        {
            if (stage.Stage is IControlledStage controlled)
            {
                all.AddRange(controlled.ControlCommands.Select(c => (c, (StageInfo?)stage)));
            }
        }
        foreach ((IControlCommand command, StageInfo? stage) in all)
        {
            string name = ControlProtocol.Normalize(command.Name);
            var verb = new ControlVerb(command, stage?.Stage.GetType());
            if (name != command.Name)
            {
                errors.Add($"control command '{command.Name}' ({verb.Source}): names are lower-case words separated by one space");
            }
            else if (verbs.TryGetValue(name, out ControlVerb? known))
            {
                // Stages of one type share their commands; anything else claiming the name is a clash.
                if (stage is not null && known.StageType == verb.StageType && known.Command.GetType() == command.GetType())
                {
                    known.ServedBy.Add(stage.Name);
                }
                else
                {
                    errors.Add($"two control commands are named '{name}': {known.Source} and {verb.Source}");
                }
            }
            else
            {
                errors.AddRange(CheckDeclaration(command).Select(e => $"control command '{name}' ({verb.Source}): {e}"));
                if (stage is not null)
                {
                    verb.ServedBy.Add(stage.Name);
                }
                verbs.Add(name, verb);
            }
        }
        return verbs;
    }

    /// <summary>Every command served, by name.</summary>
    public IEnumerable<ControlVerb> Verbs => _verbs.Values;

    public ControlVerb? Find(string name) => _verbs.GetValueOrDefault(name);


    /// <summary>Ends a running capture (its file complete) and trace when the endpoint stops.</summary>
    public async Task StopLiveOperationsAsync()
    {
        await _capture.StopAsync().ConfigureAwait(false);
        await _trace.StopAsync().ConfigureAwait(false);
    }

    public async Task<byte[]> HandleAsync(ReadOnlyMemory<byte> line, ControlCaller? caller, CancellationToken cancellationToken)
    {
        if (!ControlProtocol.TryParse(line, out ControlProtocol.Request? request, out string problem, out string? rawId))
        {
            return ControlProtocol.Failure(rawId, ControlErrors.BadRequest, problem);
        }
        if (!TryResolve(request!, out ControlVerb? verb, out IReadOnlyList<string> positionals, out string unknown))
        {
            return ControlProtocol.Failure(rawId, ControlErrors.UnknownCommand, unknown);
        }
        if (!TryBind(verb!, positionals, request!.Arguments, out Dictionary<string, string> arguments, out string refusal))
        {
            return ControlProtocol.Failure(rawId, ControlErrors.Refused, refusal);
        }
        IControlCommand command = verb!.Command;
        var context = new ControlRequest(_graph, command.Name, arguments, request.Stage, verb.ServedBy) { Caller = caller };
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

    /// <summary>The command a request names: exactly, or by the longest leading words of a typed line (the rest are positionals).</summary>
    private bool TryResolve(ControlProtocol.Request request, out ControlVerb? verb, out IReadOnlyList<string> positionals, out string unknown)
    {
        positionals = [];
        unknown = "";
        if (request.Command is not null)
        {
            if (_verbs.TryGetValue(request.Command, out verb))
            {
                return true;
            }
            unknown = UnknownCommand(request.Command);
            return false;
        }
        IReadOnlyList<string> words = request.Words!;
        for (int count = Math.Min(words.Count, _mostWords); count > 0; count--)
        {
            string name = ControlProtocol.Normalize(string.Join(' ', words.Take(count)));
            if (_verbs.TryGetValue(name, out verb))
            {
                positionals = words.Skip(count).ToList();
                return true;
            }
        }
        verb = null;
        unknown = UnknownCommand(ControlProtocol.Normalize(string.Join(' ', words.Take(_mostWords))));
        return false;
    }

    /// <summary>Names the given and positional arguments, and checks them against the declaration: known, not twice, required present, values valid.</summary>
    private static bool TryBind(ControlVerb verb, IReadOnlyList<string> positionals, Dictionary<string, string> given,
        out Dictionary<string, string> arguments, out string refusal)
    {
        IControlCommand command = verb.Command;
        arguments = new Dictionary<string, string>(StringComparer.Ordinal);
        refusal = "";
        foreach (string name in given.Keys)
        {
            if (!command.Arguments.Any(a => a.Name == name))
            {
                string takes = command.Arguments.Count == 0 ? "it takes none" : "it takes " + string.Join(", ", command.Arguments.Select(a => a.Name));
                refusal = $"'{command.Name}' has no argument '{name}'; {takes}";
                return false;
            }
            arguments[name] = given[name];
        }
        List<ControlArgument> slots = verb.Positionals.ToList();
        for (int i = 0; i < positionals.Count; i++)
        {
            if (i >= slots.Count)
            {
                string takes = slots.Count == 0 ? "takes no positional arguments" : $"takes {slots.Count} ({string.Join(", ", slots.Select(s => s.Name))})";
                refusal = $"'{command.Name}' {takes}; '{positionals[i]}' is one too many. Usage: {verb.Usage}";
                return false;
            }
            ControlArgument slot = slots[i];
            string value = slot.Rest ? string.Join(' ', positionals.Skip(i)) : positionals[i];
            if (arguments.ContainsKey(slot.Name))
            {
                refusal = $"'{command.Name}': '{slot.Name}' is given twice, as '{value}' by position and as --{slot.Name} {arguments[slot.Name]}";
                return false;
            }
            arguments[slot.Name] = value;
            if (slot.Rest)
            {
                break;
            }
        }
        foreach (ControlArgument argument in command.Arguments)
        {
            if (!arguments.TryGetValue(argument.Name, out string? value))
            {
                if (argument.Required)
                {
                    refusal = $"'{command.Name}' needs the argument '{argument.Name}' ({argument.Help.TrimEnd('.')}). Usage: {verb.Usage}";
                    return false;
                }
                continue;
            }
            if (argument.Value.Check(argument.Name, value) is string problem)
            {
                refusal = problem;
                return false;
            }
        }
        return true;
    }

    /// <summary>What is wrong with a command's declaration: names that clash or are not lower_snake, a rest argument that is not the last positional.</summary>
    private static IEnumerable<string> CheckDeclaration(IControlCommand command)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (ControlArgument argument in command.Arguments)
        {
            if (!names.Add(argument.Name))
            {
                yield return $"argument '{argument.Name}' is declared twice";
            }
            if (!IsLowerSnake(argument.Name))
            {
                yield return $"argument '{argument.Name}' is not lower_snake (a lower-case letter, then lower-case letters, digits and '_')";
            }
            if (argument.Rest && (!argument.Positional || command.Arguments.Where(a => a.Positional).Last() != argument))
            {
                yield return $"argument '{argument.Name}' takes the rest of the words, so it must be the last positional";
            }
        }
    }

    private static bool IsLowerSnake(string name) =>
        name[0] is >= 'a' and <= 'z' && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_');

    /// <summary>Unknown: the commands sharing its first word, and those a typo away.</summary>
    public string UnknownCommand(string name)
    {
        string first = name.Split(' ')[0];
        List<string> near = _verbs.Keys.Where(k => k.Split(' ')[0] == first).ToList();
        List<string> typos = _verbs.Keys
            .Select(k => (Name: k, Distance: Distance(k, string.Join(' ', name.Split(' ').Take(k.Split(' ').Length)))))
            .Where(c => c.Distance > 0 && c.Distance <= Math.Max(1, c.Name.Length / 4))
            .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => $"'{c.Name}'").Take(3).ToList();
        string suggestion = typos.Count > 0 ? $"did you mean {string.Join(" or ", typos)}? " : "";
        return near.Count > 0
            ? $"unknown command '{name}'; {suggestion}'{first}' commands are: {string.Join(", ", near)}"
            : $"unknown command '{name}'; {suggestion}this graph's commands are: {string.Join(", ", _verbs.Keys)} ('help' describes them)";
    }

    /// <summary>Levenshtein distance: few, short names, so the plain table is enough.</summary>
    private static int Distance(string a, string b)
    {
        int[] previous = Enumerable.Range(0, b.Length + 1).ToArray();
        int[] current = new int[b.Length + 1];
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
