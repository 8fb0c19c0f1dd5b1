using Flow.Protocols.Ipv4;

namespace Flow.Stages.Routing;

/// <summary>
/// What a route sends its prefix to: <see cref="Via"/> a gateway, <see cref="Connected"/> on a
/// port, <see cref="Local"/> delivery, <see cref="Blackhole"/>, <see cref="Reject"/>, or
/// <see cref="Multipath"/> over several gateways (ECMP). Immutable; equal when they do the same.
/// </summary>
public sealed class Ipv4Route : IEquatable<Ipv4Route>
{
    private Ipv4Route(NextHopKind kind, ushort port, Ipv4Address gateway, EcmpMember[] members)
    {
        Kind = kind;
        Port = port;
        Gateway = gateway;
        Members = members;
    }

    public NextHopKind Kind { get; }

    /// <summary>Output port id (Via, Connected; the owning port for Local).</summary>
    public ushort Port { get; }

    public Ipv4Address Gateway { get; }

    /// <summary>Multipath only: the paths, in the order given.</summary>
    public IReadOnlyList<EcmpMember> Members { get; }

    public static Ipv4Route Blackhole { get; } = new(NextHopKind.Blackhole, 0, default, []);

    public static Ipv4Route Reject { get; } = new(NextHopKind.Reject, 0, default, []);

    public static Ipv4Route Via(Ipv4Address gateway, ushort port) => new(NextHopKind.Via, port, gateway, []);

    public static Ipv4Route Connected(ushort port) => new(NextHopKind.Connected, port, default, []);

    public static Ipv4Route Local(ushort port) => new(NextHopKind.Local, port, default, []);

    /// <summary>ECMP over <paramref name="members"/>: distinct gateways, weights at least 1.</summary>
    public static Ipv4Route Multipath(params IReadOnlyList<EcmpMember> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0)
        {
            throw new ArgumentException("a multipath route has at least one member", nameof(members));
        }
        var seen = new HashSet<(Ipv4Address, ushort)>();
        foreach (EcmpMember member in members)
        {
            if (member.Weight < 1)
            {
                throw new ArgumentException($"member {member.Gateway} has weight {member.Weight}; weights are at least 1", nameof(members));
            }
            if (!seen.Add((member.Gateway, member.Port)))
            {
                throw new ArgumentException($"member {member.Gateway} on port {member.Port} is given twice", nameof(members));
            }
        }
        return new(NextHopKind.Multipath, 0, default, [.. members]);
    }

    public bool Equals(Ipv4Route? other) =>
        other is not null && Kind == other.Kind && Port == other.Port && Gateway == other.Gateway
        && Members.SequenceEqual(other.Members);

    public override bool Equals(object? obj) => Equals(obj as Ipv4Route);

    public override int GetHashCode() => HashCode.Combine(Kind, Port, Gateway, Members.Count);

    public override string ToString() => Kind switch
    {
        NextHopKind.Via => $"via {Gateway} port {Port}",
        NextHopKind.Connected => $"connected port {Port}",
        NextHopKind.Local => $"local port {Port}",
        NextHopKind.Blackhole => "blackhole",
        NextHopKind.Reject => "reject",
        _ => "multipath " + string.Join(", ", Members.Select(m => $"via {m.Gateway} port {m.Port} weight {m.Weight}")),
    };
}
