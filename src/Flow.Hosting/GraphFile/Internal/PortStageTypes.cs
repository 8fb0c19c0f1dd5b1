using System.Reflection;
using Flow.Internal;

namespace Flow.Hosting.Internal;

/// <summary>
/// The backend-neutral stage types <c>port_rx</c> and <c>port_tx</c>: a port whose backend is a
/// config value. <c>{"type": "port_rx", "config": {"backend": "af_packet", "interface": "veth1"}}</c>
/// is resolved at load time to the registered type <c>af_packet_rx</c> with config
/// <c>{"interface": "veth1"}</c> — the graph holds the backend's own stage, so a port costs
/// nothing extra at run time. A backend is any name <c>b</c> with both <c>b_rx</c> and
/// <c>b_tx</c> registered. In the config:
/// <list type="bullet">
/// <item><c>backend</c> (required) picks the backend;</item>
/// <item>a key naming a backend (<c>"memif": {...}</c>) holds options used only when that
/// backend is picked, overriding plain keys of the same name; the other backends' sections are
/// ignored (also those of Flow's backends the application did not register), so one port
/// declaration can carry settings for every backend it may run on;</item>
/// <item>other keys are options of the picked backend; <c>interface</c> is the one key every
/// backend takes: the network interface, or for a backend without one (memif) its
/// <c>name</c>.</item>
/// </list>
/// </summary>
internal static class PortStageTypes
{
    public const string Rx = "port_rx";
    public const string Tx = "port_tx";
    public const string BackendKey = "backend";

    public static readonly string[] Names = [Rx, Tx];

    /// <summary>
    /// Flow's own backends: a key naming one is a backend section even where that backend is not
    /// registered, so a shipped file with sections for every backend (pipelines/router.json) loads
    /// in an application that registers only the backend it uses.
    /// </summary>
    private static readonly string[] s_flowBackends = ["af_packet", "af_xdp", "dpdk", "loop", "memif", "null", "pcap", "tap"];

    public static bool IsPortType(string type) => type is Rx or Tx;

    /// <summary>Backends with both an rx and a tx stage type, by name.</summary>
    public static IReadOnlyList<string> Backends(StageRegistry registry, IReadOnlyDictionary<string, StageRegistration> extra)
    {
        var types = new HashSet<string>(registry.All.Select(r => r.TypeName).Concat(extra.Keys), StringComparer.Ordinal);
        return types.Where(t => t.EndsWith("_rx", StringComparison.Ordinal) && t != Rx && types.Contains(t[..^3] + "_tx"))
            .Select(t => t[..^3]).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The registration and config a <c>port_rx</c>/<c>port_tx</c> stands for; (null, null) after reporting errors.</summary>
    public static (StageRegistration? Registration, SourceNode? Config) Resolve(string type, SourceNode stage, StageRegistry registry,
        IReadOnlyDictionary<string, StageRegistration> extra, ErrorList errors)
    {
        IReadOnlyList<string> backends = Backends(registry, extra);
        string known = backends.Count == 0 ? "(none are registered)" : string.Join(", ", backends);
        SourceNode? config = stage["config"];
        if (config is null || config.Kind != SourceKind.Object)
        {
            errors.Add(config ?? stage, $"stage type '{type}' needs a config with '{BackendKey}' (one of: {known}) and that backend's options" +
                (config is null ? "" : $", found {config.Describe()}"));
            return (null, null);
        }
        SourceNode? backendNode = config[BackendKey];
        if (backendNode is null || backendNode.Kind != SourceKind.String)
        {
            errors.Add(backendNode ?? config, $"stage type '{type}': expected '{BackendKey}' naming a backend (one of: {known})" +
                (backendNode is null ? "" : $", found {backendNode.Describe()}"));
            return (null, null);
        }
        string backend = backendNode.Text;
        string suffix = type == Rx ? "_rx" : "_tx";
        if (!backends.Contains(backend, StringComparer.Ordinal) ||
            !(extra.TryGetValue(backend + suffix, out StageRegistration? registration) || registry.TryGet(backend + suffix, out registration)))
        {
            string? near = Naming.Nearest(backend, backends);
            errors.Add(backendNode, $"stage type '{type}': unknown backend '{backend}'" + (near is null ? "" : $" (did you mean '{near}'?)") +
                $"; expected one of: {known}");
            return (null, null);
        }

        var backendKeys = new HashSet<string>(backends.Concat(s_flowBackends).Select(Naming.Fold), StringComparer.Ordinal);
        var resolved = SourceNode.Object(config.Position, config.Path);
        foreach (SourceMember member in config.Members)
        {
            if (member.Key != BackendKey && !backendKeys.Contains(Naming.Fold(member.Key)))
            {
                resolved.Members.Add(member);
            }
        }
        SourceNode? section = config.Members.LastOrDefault(m => Naming.Fold(m.Key) == Naming.Fold(backend))?.Value;
        if (section is not null)
        {
            if (section.Kind != SourceKind.Object)
            {
                errors.Add(section, $"expected an object with the options used when the backend is '{backend}', found {section.Describe()}");
                return (null, null);
            }
            foreach (SourceMember member in section.Members)
            {
                resolved.Members.RemoveAll(m => Naming.Fold(m.Key) == Naming.Fold(member.Key));
                resolved.Members.Add(member);
            }
        }
        if (registration.OptionsType is { } options && !HasProperty(options, "interface") && HasProperty(options, "name"))
        {
            int index = resolved.Members.FindIndex(m => Naming.Fold(m.Key) == "interface");
            if (index >= 0 && !resolved.Members.Any(m => Naming.Fold(m.Key) == "name"))
            {
                resolved.Members[index] = resolved.Members[index] with { Key = "name" };
            }
        }
        return (registration, resolved);
    }

    private static bool HasProperty(Type options, string folded) =>
        options.GetProperties(BindingFlags.Public | BindingFlags.Instance).Any(p => Naming.Fold(p.Name) == folded && p.CanWrite);

}
