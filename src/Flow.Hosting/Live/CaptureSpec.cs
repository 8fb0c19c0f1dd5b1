namespace Flow.Hosting.Live;

/// <summary>What <c>capture start</c> asked for.</summary>
internal sealed record CaptureSpec(string Stage, string? Port, string File, long? Count, int SnapLength, PacketFilter? Filter, bool Drops, int? DropReason = null);
