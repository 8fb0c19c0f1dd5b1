using Flow.Hosting.Internal;

namespace Flow.Hosting;

public sealed partial class GraphFileLoader
{
    private static readonly string[] s_workerKeys = ["id", "cpu", "idle", "spins", "sleep_us", "timeout_ms"];
    private static readonly string[] s_idlePolicies = ["busy_poll", "spin_then_sleep", "yielding", "event"];

    /// <summary>The <c>workers</c> array; a worker with any error is left out (its stages then report against the rest).</summary>
    private static List<WorkerEntry> ReadWorkers(SourceNode? node, ErrorList errors)
    {
        var workers = new List<WorkerEntry>();
        var declared = new Dictionary<int, SourcePosition>();
        if (node is null)
        {
            return workers;
        }
        if (node.Kind != SourceKind.Array)
        {
            errors.Add(node, $"expected an array of workers like {{\"id\": 0, \"cpu\": 1, \"idle\": \"busy_poll\"}}, found {node.Describe()}");
            return workers;
        }
        foreach (SourceNode item in node.Items)
        {
            if (item.Kind != SourceKind.Object)
            {
                errors.Add(item, $"expected a worker object like {{\"id\": 0, \"cpu\": 1, \"idle\": \"busy_poll\"}}, found {item.Describe()}");
                continue;
            }
            CheckKeys(item, s_workerKeys, "a worker", errors);
            int before = errors.Count;
            int? id = ReadInt(item, "id", 0, 1023, errors, required: true);
            int? cpu = ReadInt(item, "cpu", 0, 4095, errors, required: false);
            IdlePolicy idle = ReadIdle(item, errors);
            if (id is int i && !declared.TryAdd(i, item.Position))
            {
                errors.Add(item["id"]!, $"worker {i} is declared twice (first at {declared[i]})");
                continue;
            }
            if (errors.Count == before && id is int workerId)
            {
                workers.Add(new WorkerEntry(workerId, cpu, idle, item));
            }
        }
        return workers;
    }

    private static IdlePolicy ReadIdle(SourceNode worker, ErrorList errors)
    {
        SourceNode? node = worker["idle"];
        string policy = "busy_poll";
        if (node is not null)
        {
            if (node.Kind != SourceKind.String || !s_idlePolicies.Contains(node.Text))
            {
                errors.Add(node, $"expected one of {string.Join(", ", s_idlePolicies.Select(p => $"\"{p}\""))}, found {node.Describe()}");
                return IdlePolicy.BusyPoll;
            }
            policy = node.Text;
        }
        int? spins = ReadInt(worker, "spins", 0, int.MaxValue, errors, required: false);
        int? sleepUs = ReadInt(worker, "sleep_us", 0, 1_000_000, errors, required: false);
        int? timeoutMs = ReadInt(worker, "timeout_ms", 1, 60_000, errors, required: false);
        void NotFor(string key, string allowedFor)
        {
            if (worker[key] is { } misplaced)
            {
                errors.Add(misplaced, $"'{key}' applies only to idle policy {allowedFor}, not \"{policy}\"");
            }
        }
        switch (policy)
        {
            case "spin_then_sleep":
                NotFor("timeout_ms", "\"event\"");
                return IdlePolicy.SpinThenSleep(spins ?? 1000, sleepUs is int us ? TimeSpan.FromMicroseconds(us) : null);
            case "event":
                NotFor("spins", "\"spin_then_sleep\"");
                NotFor("sleep_us", "\"spin_then_sleep\"");
                return IdlePolicy.Event(timeoutMs is int ms ? TimeSpan.FromMilliseconds(ms) : null);
            default:
                NotFor("spins", "\"spin_then_sleep\"");
                NotFor("sleep_us", "\"spin_then_sleep\"");
                NotFor("timeout_ms", "\"event\"");
                return policy == "yielding" ? IdlePolicy.Yielding : IdlePolicy.BusyPoll;
        }
    }

    private sealed record WorkerEntry(int Id, int? Cpu, IdlePolicy Idle, SourceNode Node);
}
