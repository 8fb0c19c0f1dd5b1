using Flow.Stages.Nat.Internal;

namespace Flow.Stages.Nat;

// Packet trace: what nat_out did to a traced packet, read on its worker after the batch (the
// packet is translated by then, so the session is found by its external side).
public sealed partial class NatOutbound : ITraceNote
{
    /// <summary>"192.168.1.10:40000 → 192.168.100.2:40000 (established)" for a translated packet; null for one passed unchanged.</summary>
    /// <param name="packet">The traced packet.</param>
    /// <param name="next">Where it went.</param>
    /// <returns>The note, or null.</returns>
    public string? TraceNote(Packet packet, Next next)
    {
        if (!next.IsPort || next.Port != (int)Output.Out || !NatTrace.TryEndpoints(packet, out NatTrace.Endpoints e) || !_table.IsExternal(e.Source))
        {
            return next.IsPort && next.Port == (int)Output.Prohibited ? "refused: a NAT limit (nat show)" : null;
        }
        int session = _table.FindByOutside(e.Source, e.SourcePort, e.Destination, e.DestinationPort, e.Protocol);
        if (session < 0)
        {
            return null;
        }
        ref NatSession s = ref _table.Session(session);
        return $"{NatTrace.Endpoint(s.InsideAddress, s.InsidePort)} → {NatTrace.Endpoint(s.OutsideAddress, s.OutsidePort)} ({NatTrace.State(s.State)})";
    }
}
