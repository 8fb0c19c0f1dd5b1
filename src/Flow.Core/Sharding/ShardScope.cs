namespace Flow;

/// <summary>
/// One shard's part of a graph being built with <see cref="GraphBuilder.Shards"/>: the same
/// <see cref="Add"/>, <see cref="Connect"/> and <see cref="Worker"/> as the builder, with the
/// declared names and worker ids, placed as this shard's copies (<see cref="ShardNames"/>,
/// worker <c>Shard × WorkersPerShard + id</c>).
/// </summary>
public sealed class ShardScope
{
    private readonly GraphBuilder _builder;

    internal ShardScope(GraphBuilder builder, int shard, int count, int workersPerShard)
    {
        _builder = builder;
        Shard = shard;
        Count = count;
        WorkersPerShard = workersPerShard;
    }

    /// <summary>This shard's index, 0 to <see cref="Count"/> − 1: the queue its ports serve.</summary>
    public int Shard { get; }

    /// <summary>How many shards the graph has.</summary>
    public int Count { get; }

    /// <summary>Workers each shard declares; this shard's worker <c>w</c> is graph worker <c>Shard × WorkersPerShard + w</c>.</summary>
    public int WorkersPerShard { get; }

    /// <summary>Options for this shard's copy of a port: its own queue of the device.</summary>
    public T ForShard<T>(T options) where T : IPortQueueOptions => (T)options.ForShard(Shard, Count);

    /// <summary>Declares this shard's worker <paramref name="id"/> (0 to <see cref="WorkersPerShard"/> − 1).</summary>
    public ShardScope Worker(int id, int? cpu = null, IdlePolicy? idle = null)
    {
        _builder.Worker(GraphWorker(id), cpu, idle);
        return this;
    }

    /// <summary>Adds this shard's copy of stage <paramref name="name"/> (a new instance per shard) on this shard's worker <paramref name="worker"/>.</summary>
    public ShardScope Add(string name, Stage stage, int worker = 0)
    {
        _builder.Add(ShardNames.Of(name, Shard), stage, GraphWorker(worker));
        return this;
    }

    /// <summary>Connects this shard's copies, as <see cref="GraphBuilder.Connect"/> does.</summary>
    public ShardScope Connect(string from, string to, int ringCapacity = GraphBuilder.DefaultRingCapacity, bool backPressure = false)
    {
        _builder.Connect(Qualify(from), ShardNames.Of(to, Shard), ringCapacity, backPressure);
        return this;
    }

    /// <summary>A feedback edge between this shard's copies, as <see cref="GraphBuilder.Feedback"/>.</summary>
    public ShardScope Feedback(string from, string to, int ringCapacity = GraphBuilder.DefaultRingCapacity)
    {
        _builder.Feedback(Qualify(from), ShardNames.Of(to, Shard), ringCapacity);
        return this;
    }

    /// <summary>The graph's worker for this shard's worker <paramref name="id"/>; an id outside the shard would land in another shard, so it is refused.</summary>
    private int GraphWorker(int id)
    {
        if (id < 0 || id >= WorkersPerShard)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, $"a shard's workers are 0 to {WorkersPerShard - 1}");
        }
        return Shard * WorkersPerShard + id;
    }

    private string Qualify(string endpoint)
    {
        EndpointRef source = EndpointRef.Parse(endpoint);
        return (source with { Stage = ShardNames.Of(source.Stage, Shard) }).ToString();
    }
}
