namespace Flow.TestKit;

/// <summary>
/// The base of the integration tests' host fixtures: Linux hosts in namespaces of their own around
/// one Flow <see cref="Graph"/> under test. A fixture creates its namespaces, veths, tables and
/// graphs through <see cref="Own{T}"/>, and <see cref="Dispose"/> removes them in reverse order —
/// the graph (created last) first, the namespaces last. A constructor that fails half way calls
/// <see cref="Dispose"/> in its catch, so nothing it made is left behind.
/// </summary>
public abstract class NetnsHostFixture : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    /// <summary>The graph under test; the fixture owns it (assigned through <see cref="Own{T}"/>).</summary>
    public FlowGraph Graph { get; protected set; } = null!;

    /// <summary>Stops the graph if it runs (draining, at most 30 s) and returns its final statistics.</summary>
    public virtual async Task<GraphStats> StopAsync()
    {
        if (Graph.State == GraphState.Running)
        {
            await Graph.StopAsync(drain: true).WaitAsync(TimeSpan.FromSeconds(30));
        }
        return Graph.GetStats();
    }

    /// <summary>Disposes everything owned, newest first.</summary>
    public virtual void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
        _owned.Clear();
        GC.SuppressFinalize(this);
    }

    /// <summary>Records <paramref name="item"/> for <see cref="Dispose"/> and returns it.</summary>
    protected T Own<T>(T item) where T : IDisposable
    {
        _owned.Add(item);
        return item;
    }
}
