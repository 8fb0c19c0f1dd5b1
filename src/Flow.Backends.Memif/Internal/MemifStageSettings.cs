using System.Collections.ObjectModel;

namespace Flow.Backends.Memif.Internal;

/// <summary>Names one interface the rx and tx stages share: role, socket and id, shown as "role:socket#id".</summary>
internal readonly record struct MemifInterfaceKey(MemifRole Role, string Socket, bool Abstract, uint InterfaceId)
{
    public static MemifInterfaceKey Of(MemifOptions options) => new(options.Role, options.Socket, options.Abstract, options.InterfaceId);

    public override string ToString() => $"{(Role == MemifRole.Client ? "client" : "server")}:{(Abstract ? "@" : "")}{Socket}#{InterfaceId}";
}

/// <summary>
/// What the stages of one interface must agree on: every option but the stage's own queue.
/// The allow-lists compare by content (a record compares lists by reference), and the secret is
/// never shown in the mismatch error.
/// </summary>
internal sealed class MemifStageSettings(MemifOptions options) : IEquatable<MemifStageSettings>
{
    private readonly MemifOptions _options = options with { Queue = 0 };

    public bool Equals(MemifStageSettings? other) =>
        other is not null && SameList(_options.AllowedUids, other._options.AllowedUids) &&
        SameList(_options.AllowedGids, other._options.AllowedGids) && WithoutLists(_options) == WithoutLists(other._options);

    public override bool Equals(object? obj) => Equals(obj as MemifStageSettings);

    public override int GetHashCode() => WithoutLists(_options).GetHashCode();

    public override string ToString() =>
        (_options with
        {
            Secret = _options.Secret.Length == 0 ? "" : "(hidden)",
            AllowedUids = _options.AllowedUids is { } uids ? new ShownList(uids) : null,
            AllowedGids = new ShownList(_options.AllowedGids),
        }).ToString();

    private static bool SameList(IReadOnlyList<uint>? x, IReadOnlyList<uint>? y) => x is null ? y is null : y is not null && x.SequenceEqual(y);

    private static MemifOptions WithoutLists(MemifOptions options) => options with { AllowedUids = null, AllowedGids = Array.Empty<uint>() };

    /// <summary>A list that prints its items, for the record's ToString.</summary>
    private sealed class ShownList(IReadOnlyList<uint> items) : ReadOnlyCollection<uint>(items.ToArray())
    {
        public override string ToString() => $"[{string.Join(", ", this)}]";
    }
}
