using System.Numerics;
using System.Runtime.InteropServices;
using Flow.Backends.AfXdp.Internal;
using Flow.Backends.AfXdp.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flow.Backends.AfXdp;

/// <summary>
/// One interface driven through AF_XDP: the XDP redirect program with its XSKMAP (attached with
/// libxdp) and one socket, UMEM and ring set per queue. Rx and tx stages of the same interface
/// in one process share a port; it opens with the first stage and closes — sockets closed,
/// program detached — when the last one is disposed.
/// </summary>
public sealed class AfXdpPort : IDisposable
{
    private static readonly DeviceRegistry<string, AfXdpOptions, AfXdpPort> s_ports = new("AF_XDP port", StringComparer.Ordinal);
    private static readonly Lazy<string?> s_notSupportedReason = new(ProbeSupport);

    private readonly XskSocket[] _sockets;
    private readonly Umem[] _umems;
    private readonly XdpProgram _program;
    private readonly AfXdpOptions _options;

    private AfXdpPort(AfXdpOptions options, int ifindex, XdpProgram program, XskSocket[] sockets, Umem[] umems)
    {
        _options = options;
        Ifindex = ifindex;
        _program = program;
        _sockets = sockets;
        _umems = umems;
        BindModes = Array.ConvertAll(sockets, s => s.IsZeroCopy ? AfXdpBindMode.ZeroCopy : AfXdpBindMode.Copy);
    }

    /// <summary>True when AF_XDP can be used here: Linux, libxdp and libbpf loadable.</summary>
    public static bool IsSupported => s_notSupportedReason.Value is null;

    /// <summary>Why <see cref="IsSupported"/> is false, naming the missing piece; null when supported.</summary>
    public static string? NotSupportedReason => s_notSupportedReason.Value;

    public string Interface => _options.Interface;

    public int Ifindex { get; }

    public int QueueCount => _sockets.Length;

    /// <summary>The mode the XDP program was attached in (Skb or Native), after any Auto fallback.</summary>
    public AfXdpAttachMode AttachMode => _program.Mode;

    /// <summary>The bind mode each queue's socket got (Copy or ZeroCopy), after any Auto fallback.</summary>
    public IReadOnlyList<AfXdpBindMode> BindModes { get; }

    /// <summary>True when every queue shares one UMEM (and so one pool): frames move between queues without a copy.</summary>
    public bool SharesUmem => _umems.Length == 1 && _sockets.Length > 1;

    /// <summary>The packet pool over queue <paramref name="queue"/>'s UMEM: allocate from it to transmit without a copy.</summary>
    public PacketPool Pool(int queue) => Socket(queue).Pool;

    /// <summary>"af_xdp &lt;interface&gt; queue &lt;n&gt;": how Flow's stats name one queue's socket, which its rx and tx stages share.</summary>
    public string CounterDevice(int queue) => $"af_xdp {Interface} queue {queue}";

    /// <summary>The kernel's XDP_STATISTICS and Flow's counters for one queue.</summary>
    public AfXdpStatistics GetStatistics(int queue)
    {
        XskSocket s = Socket(queue);
        XdpStatistics k = s.KernelStatistics();
        return new AfXdpStatistics
        {
            RxDropped = k.RxDropped,
            RxInvalidDescriptors = k.RxInvalidDescs,
            TxInvalidDescriptors = k.TxInvalidDescs,
            RxRingFull = k.RxRingFull,
            FillRingEmpty = k.RxFillRingEmptyDescs,
            TxRingEmpty = k.TxRingEmptyDescs,
            RxPackets = Volatile.Read(ref s.RxPackets),
            RxBytes = Volatile.Read(ref s.RxBytes),
            RxWakeups = Volatile.Read(ref s.RxWakeups),
            TxPackets = Volatile.Read(ref s.TxPackets),
            TxBytes = Volatile.Read(ref s.TxBytes),
            TxCopies = Volatile.Read(ref s.TxCopies),
            TxCompleted = Volatile.Read(ref s.TxCompleted),
            TxKicks = Volatile.Read(ref s.TxKicks),
            TxKickErrors = Volatile.Read(ref s.TxKickErrors),
        };
    }

    internal AfXdpOptions Options => _options;

    internal XskSocket Socket(int queue)
    {
        if ((uint)queue >= (uint)_sockets.Length)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(queue), queue, $"{Interface} has queues 0 to {_sockets.Length - 1}");
        }
        return _sockets[queue];
    }

    /// <summary>
    /// The port of <paramref name="options"/>' interface: the open one (its reference count
    /// raised) when another stage of this process opened it with the same port-level options,
    /// else a new one.
    /// </summary>
    internal static AfXdpPort Acquire(AfXdpOptions options, ILogger? logger) =>
        s_ports.Acquire(options.Interface, options.PortLevel, (_, _) => Open(options, logger ?? NullLogger.Instance));

    /// <summary>Drops one reference; the last closes the sockets and detaches the program.</summary>
    internal void Release() => s_ports.Release(Interface, this);

    /// <summary>Called by the registry when the last stage releases the port.</summary>
    void IDisposable.Dispose() => Close();

    private static AfXdpPort Open(AfXdpOptions options, ILogger logger)
    {
        if (NotSupportedReason is { } reason)
        {
            ThrowHelper.ThrowNotSupported(reason);
        }
        Validate(options);
        uint ifindex = Interop.Sys.IfNameToIndex(options.Interface);
        if (ifindex == 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            ThrowHelper.ThrowAfXdp($"no network interface named '{options.Interface}' in this namespace.", errno);
        }

        NativeLog.Install(logger);

        // The map is indexed by rx queue; 64 entries cover the common case at 8 bytes each.
        uint mapEntries = (uint)Math.Max(64, options.QueueCount);
        XdpProgram program = XdpProgram.Attach(options.Interface, (int)ifindex, options.AttachMode, mapEntries,
            options.ReplaceLeftoverProgram, logger);
        var sockets = new List<XskSocket>(options.QueueCount);
        var umems = new List<Umem>(options.QueueCount);
        try
        {
            for (int q = 0; q < options.QueueCount; q++)
            {
                // Shared: one UMEM of FrameCount frames per queue, registered by queue 0's socket.
                Umem umem;
                if (options.SharedUmem && q > 0)
                {
                    umem = umems[0];
                }
                else
                {
                    int frames = options.SharedUmem ? options.FrameCount * options.QueueCount : options.FrameCount;
                    umem = Umem.Create(frames, options.FrameSize, options.Headroom,
                        options.SharedUmem ? $"af_xdp.{options.Interface}" : $"af_xdp.{options.Interface}.{q}");
                    umems.Add(umem);
                }
                XskSocket socket = XskSocket.Open(options, ifindex, q, umem, options.SharedUmem && q > 0 ? sockets[0] : null, logger);
                sockets.Add(socket);
                program.Register(q, socket.Fd);
            }
        }
        catch
        {
            program.Dispose();
            foreach (XskSocket socket in sockets)
            {
                socket.Dispose();
            }
            foreach (Umem umem in umems)
            {
                umem.Dispose();
            }
            throw;
        }
        AfXdpLog.ProgramAttached(logger, options.Interface, program.Mode.ToString(), options.QueueCount);
        return new AfXdpPort(options, (int)ifindex, program, sockets.ToArray(), umems.ToArray());
    }

    private void Close()
    {
        // Program first, so nothing is redirected to sockets that are going away; then the
        // sockets (rings unmapped); then the UMEMs, which take back the frames the kernel held.
        _program.Dispose();
        foreach (XskSocket socket in _sockets)
        {
            socket.Dispose();
        }
        foreach (Umem umem in _umems)
        {
            umem.Dispose();
        }
    }

    private static void Validate(AfXdpOptions o)
    {
        if (string.IsNullOrEmpty(o.Interface))
        {
            ThrowHelper.ThrowArgument(nameof(o.Interface), "AF_XDP needs an interface name");
        }
        if (o.FrameSize is not (2048 or 4096))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(o.FrameSize), o.FrameSize, "the UMEM frame size must be 2048 or 4096 (aligned chunk mode)");
        }
        if (o.Headroom < 0 || o.Headroom % 8 != 0 || o.Headroom + XdpConstants.XdpPacketHeadroom + 128 > o.FrameSize)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(o.Headroom), o.Headroom,
                "the UMEM headroom must be a multiple of 8 from 0, leaving room for the kernel's 256 bytes and a frame");
        }
        if (o.QueueCount < 1 || o.Queue < 0 || o.Queue >= o.QueueCount)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(o.Queue), o.Queue, $"the queue must lie in 0..QueueCount-1 (QueueCount {o.QueueCount})");
        }
        foreach (int size in (ReadOnlySpan<int>)[o.EffectiveFillRingSize, o.EffectiveCompletionRingSize, o.EffectiveRxRingSize, o.EffectiveTxRingSize])
        {
            if (size < 2 || !BitOperations.IsPow2(size))
            {
                ThrowHelper.ThrowArgumentOutOfRange(nameof(o.RingSize), size, "AF_XDP ring sizes must be powers of two");
            }
        }
        if (o.FrameCount < 64)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(o.FrameCount), o.FrameCount, "an AF_XDP UMEM needs at least 64 frames");
        }
    }

    private static string? ProbeSupport()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "AF_XDP needs Linux.";
        }
        foreach (string library in (ReadOnlySpan<string>)[Interop.Libraries.Xdp, Interop.Libraries.Bpf])
        {
            if (!NativeLibrary.TryLoad(library, out nint handle))
            {
                return $"AF_XDP needs {library} (Debian packages libxdp1 and libbpf1; apt-get install libxdp-dev libbpf-dev).";
            }
            NativeLibrary.Free(handle);
        }
        return null;
    }
}
