using System.Buffers.Binary;
using System.Diagnostics;
using Flow.Benchmarks.Infrastructure;
using Flow.Stages.Ipv4;
using Flow.Stages.Nat;
using Flow.Stages.Routing;
using Flow.TestKit;

namespace Flow.Benchmarks.Router;

/// <summary>
/// The router scenario's NAT session figures, on the measured core, nat_out driven directly
/// (no rings, no ports): a session is made per packet for every new internal endpoint, with
/// 1 M sessions held and the oldest expiring as fast as new ones come (a manual clock moves one
/// UDP timeout per million packets, and the stage's tick ends what timed out). The reference in
/// the same rounds is nat_out on established sessions (lookup and rewrite only), so the ratio
/// says what making and expiring a session adds. 32 external addresses (64 K ports each, paired pooling) hold
/// the million mappings. Anchor: VPP makes a session in about 2.3 k clocks.
/// </summary>
internal static class NatSessionBench
{
    private const int Held = 1_000_000;
    private const int Batch = 256;

    public static void Run(int rounds, Dictionary<string, object?> json)
    {
        Console.WriteLine($"router (nat sessions): {rounds} rounds; nat_out alone on cpu 0, {Held:N0} sessions held over 32 external addresses, " +
            $"batches of {Batch}: new sessions (create + expire) against established ones (lookup + rewrite)");
        var create = new Samples();
        var established = new Samples();
        var ratio = new Samples();
        var hot = new Samples();
        long allocated = 0;
        OsThread.Pin(0);
        for (int round = 0; round < rounds; round++)
        {
            using var rig = new Rig();
            rig.Fill();
            (double created, long bytes) = rig.Measure(newSessions: true, packets: 2_000_000);
            (double lookups, _) = rig.Measure(newSessions: false, packets: 2_000_000);
            (double cached, _) = rig.Measure(newSessions: false, packets: 2_000_000, hot: true);
            hot.Add(cached);
            create.Add(created);
            established.Add(lookups);
            ratio.Add(created / lookups);
            allocated = Math.Max(allocated, bytes);
            Console.WriteLine($"  round {round + 1}: {created / 1e6:F2} M new sessions/s ({CpuClock.GigaHertz * 1e9 / created:F0} cycles each), " +
                $"{lookups / 1e6:F2} M established packets/s, {cached / 1e6:F2} M on 256 cached sessions ({CpuClock.GigaHertz * 1e9 / cached:F0} cycles each); sessions held {rig.Table.SessionCount:N0}, expired {rig.Table.SessionsExpired:N0}; {bytes} bytes allocated");
        }
        Console.WriteLine($"flow_nat_sessions_per_s: median {create.Median / 1e6:F2} M (min–max {create.Min / 1e6:F2}–{create.Max / 1e6:F2}) (target ≥ 1.00 M); " +
            $"established {established.Median / 1e6:F2} M packets/s; new/established {ratio.Median:F2}");
        json["flow_nat_sessions_per_s"] = RouterScenario.Figure(create.Median);
        json["flow_nat_sessions_per_s_min"] = RouterScenario.Figure(create.Min);
        json["flow_nat_sessions_per_s_max"] = RouterScenario.Figure(create.Max);
        json["flow_nat_established_pps"] = RouterScenario.Figure(established.Median);
        json["flow_nat_cached_pps"] = RouterScenario.Figure(hot.Median);
        json["flow_nat_cached_cycles"] = RouterScenario.Figure(CpuClock.GigaHertz * 1e9 / hot.Median);
        json["flow_nat_session_cycles"] = RouterScenario.Figure(CpuClock.GigaHertz * 1e9 / create.Median);
        json["flow_nat_sessions_held"] = Held;
        json["flow_nat_session_bytes_allocated"] = allocated;
    }

    private sealed unsafe class Rig : IDisposable
    {
        private readonly NatTables _tables = new();
        private readonly Ipv4RouteTable _routes = new();
        private readonly Ipv4Lookup _lookup;
        private readonly ManualClock _clock = new();
        private readonly NatOutbound _nat;
        private readonly PacketPool _pool = PacketPool.Create(Batch * 2);
        private readonly Packet[] _packets = new Packet[Batch];
        private readonly Next[] _nexts = new Next[Batch];
        private readonly uint _wanHop;
        private readonly Random _random = new(7);
        private long _next;
        private bool _hot;

        public Rig()
        {
            IReadOnlyList<RouterInterfaceOptions> interfaces =
            [
                new() { Name = "lan", Id = 0, Mac = "02:00:00:00:01:00", Addresses = ["10.0.0.1/8"] },
                new() { Name = "wan", Id = 1, Mac = "02:00:00:00:01:01", Addresses = ["198.51.100.1/24"] },
            ];
            _lookup = new Ipv4Lookup(new Ipv4LookupOptions { Interfaces = interfaces, Routes = [new() { Prefix = "0.0.0.0/0", Via = "198.51.100.254" }] }, _routes);
            _nat = new NatOutbound(new NatOptions
            {
                Interfaces = interfaces,
                Addresses = [.. Enumerable.Range(1, 32).Select(i => $"198.51.100.{i}")],
                MaxSessions = Held + Held / 8,
                Timeouts = new NatTimeoutOptions { Udp = TimeSpan.FromSeconds(1) },
            }, _tables, _routes, _clock);
            _wanHop = _routes.Fib.Lookup(0xCB007105);
            if (_pool.AllocateBulk(_packets) != Batch)
            {
                throw new InvalidOperationException("nat bench: pool too small");
            }
            foreach (Packet packet in _packets)
            {
                Span<byte> frame = new(packet.DataPointer, 64);
                TestFrames.Write(frame, TestFrames.Mac("02:00:00:00:01:01"), TestFrames.Mac("02:00:00:00:00:01"), 1);
                packet.Meta.Length = 64;
                packet.Meta.L3Offset = 14;
            }
        }

        public NatTable Table => _nat.Table;

        /// <summary>Makes <see cref="Held"/> sessions (not timed).</summary>
        public void Fill()
        {
            while (_next < Held)
            {
                Send(newSessions: true);
            }
        }

        /// <summary>Packets per second through nat_out over <paramref name="packets"/> packets, and what the thread allocated meanwhile; fails if any packet was not translated.</summary>
        public (double Rate, long Allocated) Measure(bool newSessions, int packets, bool hot = false)
        {
            _hot = hot;
            long before = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            for (int sent = 0; sent < packets; sent += Batch)
            {
                Send(newSessions);
            }
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            return (packets / seconds, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        /// <summary>
        /// One batch: new internal endpoints (each a new session, the clock moving a millionth of
        /// the UDP timeout per packet so that as many expire), or the last batch's endpoints again.
        /// </summary>
        private void Send(bool newSessions)
        {
            // Established: a batch of consecutive endpoints somewhere in the older half of the held ones.
            long first = newSessions ? _next : _hot ? _next - Batch : _next - Batch - (long)(_random.NextInt64(Held / 2) & ~15L);
            for (int i = 0; i < Batch; i++)
            {
                long n = first + i;
                Packet packet = _packets[i];
                Span<byte> frame = packet.Data;
                // 10.x.y.z (host from n / 16) : port 1024 + n % 16; destination fixed outside.
                BinaryPrimitives.WriteUInt32BigEndian(frame[26..], 0x0A000000u | (uint)(n >> 4 & 0xFFFFFF));
                BinaryPrimitives.WriteUInt16BigEndian(frame[34..], (ushort)(1024 + (n & 15)));
                BinaryPrimitives.WriteUInt32BigEndian(frame[30..], 0xCB007105);
                packet.Meta.NextHop = _wanHop;
            }
            _nat.Process(_packets, _nexts);
            for (int i = 0; i < Batch; i++)
            {
                if (_nexts[i].IsDrop || _nexts[i].Port != 0)
                {
                    throw new InvalidOperationException($"nat bench: packet {first + i} was not translated ({_nexts[i]})");
                }
            }
            if (newSessions)
            {
                _next += Batch;
                _clock.Advance(TimeSpan.FromTicks(TimeSpan.TicksPerSecond * Batch / Held));
                _nat.Tick(_clock.NowNanoseconds);
            }
        }

        public void Dispose()
        {
            PacketPools.Free(_packets);
            _nat.Dispose();
            _lookup.Dispose();
            _tables.Dispose();
            _routes.Dispose();
            _pool.Dispose();
        }
    }
}
