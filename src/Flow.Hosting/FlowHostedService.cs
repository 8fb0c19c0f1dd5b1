using Flow.Hosting.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Flow.Hosting;

/// <summary>
/// Runs one Flow graph for the lifetime of a .NET host: builds it at start (from a graph file
/// or a <see cref="GraphBuilder"/>), starts its workers, and on shutdown drains and stops it,
/// logging the final counts. Added by <see cref="FlowHostingServiceCollectionExtensions.AddFlowGraph(Microsoft.Extensions.DependencyInjection.IServiceCollection, string, Action{FlowGraphHostOptions}?)"/>.
/// </summary>
public sealed class FlowHostedService : IHostedService, IAsyncDisposable
{
    private readonly Func<FlowGraph> _build;
    private readonly FlowGraphHostOptions _options;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly ILogger _logger;
    private readonly FlowMetrics? _metrics;
    private readonly IEnumerable<IControlCommand> _commands;
    private FlowGraph? _graph;
    private ControlEndpoint? _control;
    private Task? _watch;

    public FlowHostedService(Func<FlowGraph> build, FlowGraphHostOptions options, ILogger<FlowHostedService> logger,
        IHostApplicationLifetime? lifetime = null, FlowMetrics? metrics = null, IEnumerable<IControlCommand>? commands = null)
    {
        _commands = commands ?? [];
        _metrics = metrics;
        _build = build;
        _options = options;
        _logger = logger;
        _lifetime = lifetime;
    }

    public string Name => _options.Name;

    /// <summary>The running graph (null before start): read <see cref="FlowGraph.GetStats"/>, send control messages.</summary>
    public FlowGraph? Graph => _graph;

    /// <summary>The control socket (null unless <see cref="FlowGraphHostOptions.ControlSocket"/> is set, or before start).</summary>
    public ControlEndpoint? Control => _control;

    /// <summary>Completes when the graph has stopped (by itself, by fault, or by the host's shutdown).</summary>
    public Task Completion => _graph?.Completion ?? Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        FlowGraph graph;
        try
        {
            graph = _build();
        }
        catch (GraphFileException e)
        {
            FlowHostingLog.GraphFileInvalid(_logger, e.Message);
            throw;
        }
        foreach (string warning in graph.Warnings)
        {
            FlowHostingLog.GraphWarning(_logger, Name, warning);
        }
        if (_options.ControlSocket is string socket)
        {
            try
            {
                // Before the graph starts: a socket another graph owns stops this one from starting.
                _control = ControlEndpoint.Start(socket, graph, _commands, _logger);
            }
            catch
            {
                graph.Dispose();
                throw;
            }
        }
        _graph = graph;
        _metrics?.Track(graph);
        graph.Start();
        FlowHostingLog.GraphStarted(_logger, Name, graph.Stages.Count, graph.Workers.Count);
        _watch = WatchAsync(graph);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        FlowGraph? graph = _graph;
        if (graph is null)
        {
            return;
        }
        await graph.StopAsync(_options.DrainOnStop).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_watch is not null)
        {
            await _watch.ConfigureAwait(false);
        }
        if (_control is not null)
        {
            await _control.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task WatchAsync(FlowGraph graph)
    {
        try
        {
            await graph.Completion.ConfigureAwait(false);
            if (_lifetime is not null && _options.StopApplicationWhenDone && !_lifetime.ApplicationStopping.IsCancellationRequested)
            {
                FlowHostingLog.GraphCompleted(_logger, Name);
                _lifetime.StopApplication();
            }
        }
        catch (StageFaultException e)
        {
            FlowHostingLog.GraphFaulted(_logger, Name, e);
            if (_options.StopApplicationWhenDone)
            {
                _lifetime?.StopApplication();
            }
        }
        GraphStats stats = graph.GetStats();
        FlowHostingLog.GraphStopped(_logger, Name, stats.Stages.Sum(s => s.Consumed), stats.Stages.Sum(s => s.DroppedTotal), stats.IsBalanced);
    }

    public async ValueTask DisposeAsync()
    {
        if (_control is not null)
        {
            await _control.DisposeAsync().ConfigureAwait(false);
        }
        if (_graph is not null)
        {
            _metrics?.Untrack(_graph);
            await _graph.DisposeAsync().ConfigureAwait(false);
        }
    }
}
