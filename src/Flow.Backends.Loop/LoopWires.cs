using System.Collections.Concurrent;

namespace Flow.Backends.Loop;

/// <summary>Process-wide wires by name, so stages made from configuration find each other.</summary>
public static class LoopWires
{
    private static readonly ConcurrentDictionary<string, LoopWire> s_wires = new(StringComparer.Ordinal);

    /// <summary>The wire with this name, made with <paramref name="capacity"/> if it does not exist yet.</summary>
    public static LoopWire GetOrCreate(string name, int capacity = LoopWire.DefaultCapacity) =>
        s_wires.GetOrAdd(name, static (n, c) => new LoopWire(n, c), capacity);

    /// <summary>Forgets a wire and frees what is still on it.</summary>
    public static void Remove(string name)
    {
        if (s_wires.TryRemove(name, out LoopWire? wire))
        {
            wire.Dispose();
        }
    }
}
