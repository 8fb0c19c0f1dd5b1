namespace Flow.Stages.Switching.Internal;

/// <summary>A source address a copy of a sharded <see cref="MacLearner"/> saw on a port, for the copy that writes the table.</summary>
internal readonly record struct MacLearnRequest(ulong Key, ushort Port);
