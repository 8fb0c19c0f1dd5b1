using System.Buffers.Binary;
using System.Diagnostics;
using Flow.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace Flow;

/// <summary>
/// Produces copies of a template frame from its own pool: a count, a rate, and optional
/// sequence stamps so receivers can prove nothing was lost, duplicated or reordered.
/// Output <c>out</c>: generated frames (Ethernet).
/// Drop reason <c>pool_empty</c>: frames not generated because every frame of the pool was
/// still in flight (back-pressure from downstream).
/// </summary>
[Stage("generator", "Generates copies of a template frame (count, rate, sequence stamps).")]
public sealed class Generator : SourceStage<Generator.Output, Generator.Reason>, IDisposable
{
    private readonly byte[] _template;
    private readonly PacketPool _pool;
    private readonly bool _ownsPool;
    private readonly long _count;
    private readonly long _ratePps;
    private readonly int _sequenceOffset;
    private readonly ushort _inputPort;
    private readonly double _ticksPerPacket;
    private long _sent;
    private long _startTicks;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "generated frames")]
        Out,
    }

    public enum Reason : byte
    {
        [DropReason("the generator's pool had no free frame", Severity.Warning)]
        PoolEmpty,
    }

    [ActivatorUtilitiesConstructor]
    public Generator(GeneratorOptions options)
        : this(options, PacketPool.Create(options.PoolFrames, name: "generator"), ownsPool: true)
    {
    }

    /// <summary>
    /// Generates into frames of <paramref name="pool"/>, which the caller owns and disposes — a
    /// backend's own memory (an AF_XDP UMEM, a memif region) so a transmit stage sends the
    /// frames without copying them, as DPDK's txonly does with the port's mempool.
    /// </summary>
    public Generator(GeneratorOptions options, PacketPool pool)
        : this(options, pool, ownsPool: false)
    {
    }

    private Generator(GeneratorOptions options, PacketPool pool, bool ownsPool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        _pool = pool;
        _ownsPool = ownsPool;
        _template = options.Template.Length > 0 ? Convert.FromHexString(options.Template.Replace(" ", "")) : DefaultFrame(options.FrameSize);
        if (_template.Length > _pool.FrameSize - _pool.DataOffset || _template.Length == 0)
        {
            Dispose();
            ThrowHelper.ThrowArgumentOutOfRange(nameof(options), _template.Length,
                $"template of {_template.Length} bytes does not fit a frame (1 to {_pool.FrameSize - _pool.DataOffset} bytes)");
        }
        if (options.SequenceOffset > _template.Length - 8)
        {
            Dispose();
            ThrowHelper.ThrowArgumentOutOfRange(nameof(options), options.SequenceOffset, "the sequence stamp must fit inside the frame");
        }
        _count = options.Count;
        _ratePps = options.RatePps;
        _sequenceOffset = options.SequenceOffset;
        _inputPort = options.InputPort;
        _ticksPerPacket = _ratePps > 0 ? (double)Stopwatch.Frequency / _ratePps : 0;
    }

    /// <summary>Packets generated so far.</summary>
    public long Sent => Volatile.Read(ref _sent);

    public PacketPool Pool => _pool;

    public override bool IsExhausted => _count > 0 && Volatile.Read(ref _sent) >= _count;

    public override void OnStart() => _startTicks = Stopwatch.GetTimestamp();

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        long want = packets.Length;
        if (_count > 0)
        {
            want = Math.Min(want, _count - _sent);
        }
        if (_ratePps > 0)
        {
            long due = (long)((Stopwatch.GetTimestamp() - _startTicks) / _ticksPerPacket) + 1;
            want = Math.Min(want, due - _sent);
        }
        if (want <= 0)
        {
            return 0;
        }
        int n = _pool.AllocateBulk(packets.Slice(0, (int)want));
        if (n < want)
        {
            CountDrop(Reason.PoolEmpty, (int)want - n);
        }
        ReadOnlySpan<byte> template = _template;
        for (int i = 0; i < n; i++)
        {
            Packet packet = packets[i];
            ref PacketMeta meta = ref packet.Meta;
            meta.Length = (ushort)template.Length;
            meta.InputPort = _inputPort;
            meta.Flags = PacketFlags.L2Valid;
            long sequence = _sent + i;
            meta.Sequence = (ulong)sequence;
            Span<byte> data = packet.Data;
            template.CopyTo(data);
            if (_sequenceOffset >= 0)
            {
                BinaryPrimitives.WriteInt64BigEndian(data.Slice(_sequenceOffset), sequence);
            }
            nexts[i] = To(Output.Out);
        }
        // Pool-empty shortfalls are not retried: they count as sent-and-dropped so a finite run ends.
        Volatile.Write(ref _sent, _sent + want);
        return n;
    }

    /// <summary>Ethernet II / IPv4 / UDP with valid IPv4 checksum, padded to <paramref name="size"/>.</summary>
    private static byte[] DefaultFrame(int size)
    {
        size = Math.Clamp(size, 60, PacketPool.DefaultFrameSize - PacketPool.DefaultDataOffset);
        byte[] frame = new byte[size];
        Span<byte> f = frame;
        f[0] = 0x02;
        f[5] = 0x02; // destination 02:00:00:00:00:02
        f[6] = 0x02;
        f[11] = 0x01; // source 02:00:00:00:00:01
        BinaryPrimitives.WriteUInt16BigEndian(f[12..], 0x0800);
        Span<byte> ip = f[14..];
        int ipLength = size - 14;
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)ipLength);
        ip[8] = 64;
        ip[9] = 17;
        ip[12] = 10; ip[15] = 1;
        ip[16] = 10; ip[19] = 2;
        uint sum = 0;
        for (int i = 0; i < 20; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(ip[i..]);
        }
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], (ushort)~sum);
        Span<byte> udp = ip[20..];
        BinaryPrimitives.WriteUInt16BigEndian(udp, 1024);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 1024);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(ipLength - 20));
        return frame;
    }

    public void Dispose()
    {
        if (_ownsPool)
        {
            _pool.Dispose();
        }
    }
}
