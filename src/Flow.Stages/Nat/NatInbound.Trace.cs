using Flow.Stages.Nat.Internal;

namespace Flow.Stages.Nat;

// Packet trace: what nat_in did to a traced packet, read on its worker after the batch.
public sealed partial class NatInbound : ITraceNote
{
    /// <summary>"192.168.100.2:40000 → 192.168.1.10:40000 (established)" for a translated packet; "not the NAT's" for the router's own.</summary>
    /// <param name="packet">The traced packet.</param>
    /// <param name="next">Where it went.</param>
    /// <returns>The note, or null.</returns>
    public string? TraceNote(Packet packet, Next next)
    {
        if (next.IsPort && next.Port == (int)Output.Local)
        {
            return "not the NAT's: for the router";
        }
        if (!next.IsPort || !NatTrace.TryEndpoints(packet, out NatTrace.Endpoints e))
        {
            return null;
        }
        // Translated: the destination is the internal endpoint now; the remote is the source.
        int session = _table.FindByInside(e.Destination, e.DestinationPort, e.Source, e.SourcePort, e.Protocol);
        if (session < 0)
        {
            return $"to {NatTrace.Endpoint(e.Destination, e.DestinationPort)} through a mapping";
        }
        ref NatSession s = ref _table.Session(session);
        return $"{NatTrace.Endpoint(s.OutsideAddress, s.OutsidePort)} → {NatTrace.Endpoint(s.InsideAddress, s.InsidePort)} ({NatTrace.State(s.State)})";
    }
}
