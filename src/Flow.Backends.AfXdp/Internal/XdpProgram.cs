using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Flow.Backends.AfXdp.Internal;

/// <summary>
/// The XDP redirect program and its XSKMAP on one interface, loaded and attached with libxdp
/// (libxdp's own <c>xsk_def_xdp_prog.o</c>: redirect to the socket of <c>rx_queue_index</c>,
/// else XDP_PASS, so traffic for queues without a socket still reaches the kernel stack).
/// Ownership of the interface's program is held in an <see cref="XdpOwnerLock"/> from before
/// anything attached is touched until after the program is detached.
/// </summary>
internal sealed unsafe class XdpProgram : IDisposable
{
    /// <summary>libxdp's default AF_XDP program, installed by Debian's libxdp1 under /usr/lib/&lt;triplet&gt;/bpf.</summary>
    public const string ObjectFile = "xsk_def_xdp_prog.o";

    private const string MapName = "xsks_map";

    private readonly string _interface;
    private readonly int _ifindex;
    private readonly ILogger _logger;
    private XdpOwnerLock? _owner;
    private nint _program;
    private int _mapFd = -1;

    private XdpProgram(string @interface, int ifindex, ILogger logger)
    {
        _interface = @interface;
        _ifindex = ifindex;
        _logger = logger;
    }

    /// <summary>The mode the program ended up attached in (Skb or Native).</summary>
    public AfXdpAttachMode Mode { get; private set; }

    /// <summary>
    /// Takes ownership of the interface (failing while another live process has it), replaces
    /// the program a dead owner left (when allowed), then loads and attaches ours with an XSKMAP
    /// of <paramref name="mapEntries"/> entries and records it as this process's.
    /// </summary>
    public static XdpProgram Attach(string @interface, int ifindex, AfXdpAttachMode mode, uint mapEntries,
        bool replaceLeftover, ILogger logger)
    {
        var program = new XdpProgram(@interface, ifindex, logger);
        try
        {
            program._owner = XdpOwnerLock.Acquire(@interface, ifindex);
            program.RemoveLeftover(program._owner, replaceLeftover);
            program.LoadAndAttach(mode, mapEntries);
            program._owner.Record(Interop.Xdp.ProgramId(program._program));
            return program;
        }
        catch
        {
            program.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Looks at what is attached to the interface. The program the previous owner recorded in
    /// <paramref name="owner"/> (it died without detaching it: its lock was free) is removed;
    /// anything else is refused, never replaced — matching by name would take libxdp's program
    /// of any other AF_XDP application for Flow's.
    /// </summary>
    private void RemoveLeftover(XdpOwnerLock owner, bool replace)
    {
        nint multiprog = Interop.Xdp.MultiprogGetFromIfindex(_ifindex);
        if (multiprog == 0 || Interop.Xdp.GetError(multiprog) != 0)
        {
            return; // nothing attached (libxdp answers ENOENT)
        }
        try
        {
            string? ours = null;
            string? foreign = null;
            uint id = 0;
            uint foreignId = 0;
            if (Interop.Xdp.MultiprogIsLegacy(multiprog))
            {
                Classify(Interop.Xdp.MultiprogMainProgram(multiprog), owner.LeftoverProgramId, ref ours, ref id, ref foreign, ref foreignId);
            }
            else
            {
                for (nint p = Interop.Xdp.MultiprogNextProgram(0, multiprog); p != 0; p = Interop.Xdp.MultiprogNextProgram(p, multiprog))
                {
                    Classify(p, owner.LeftoverProgramId, ref ours, ref id, ref foreign, ref foreignId);
                }
            }
            if (foreign is not null)
            {
                ThrowHelper.ThrowAfXdp($"{_interface} already has the XDP program '{foreign}' (id {foreignId}) attached, which no earlier Flow run recorded as its own in {owner.Path}; Flow does not replace a program it did not load. Detach it first (xdp-loader unload {_interface} --all).");
            }
            if (ours is null)
            {
                return;
            }
            if (!replace)
            {
                ThrowHelper.ThrowAfXdp($"{_interface} still has the AF_XDP program '{ours}' (id {id}) of an earlier run attached and ReplaceLeftoverProgram is off.");
            }
            int error = Interop.Xdp.MultiprogDetach(multiprog);
            if (error != 0)
            {
                ThrowHelper.ThrowAfXdp($"could not detach the AF_XDP program '{ours}' (id {id}) left on {_interface} by an earlier run: {Describe(error)}.", -error);
            }
            AfXdpLog.LeftoverReplaced(_logger, _interface, ours, id);
        }
        finally
        {
            Interop.Xdp.MultiprogClose(multiprog);
        }
    }

    /// <summary>Ours is the program whose id the dead owner recorded (0: none recorded, nothing is ours); anything else is foreign.</summary>
    private static void Classify(nint program, uint leftoverId, ref string? ours, ref uint id, ref string? foreign, ref uint foreignId)
    {
        if (program == 0)
        {
            return;
        }
        string name = Marshal.PtrToStringUTF8((nint)Interop.Xdp.ProgramName(program)) ?? "";
        uint programId = Interop.Xdp.ProgramId(program);
        if (leftoverId != 0 && programId == leftoverId)
        {
            ours = name;
            id = programId;
        }
        else
        {
            foreign = name;
            foreignId = programId;
        }
    }

    private void LoadAndAttach(AfXdpAttachMode mode, uint mapEntries)
    {
        _program = Interop.Xdp.ProgramFindFile(ObjectFile, null, null);
        int error = (int)Interop.Xdp.GetError(_program);
        if (_program == 0 || error != 0)
        {
            _program = 0;
            ThrowHelper.ThrowAfXdp($"libxdp could not open {ObjectFile} (it ships with Debian's libxdp1 under /usr/lib/<triplet>/bpf; LIBXDP_OBJECT_PATH overrides): {Describe(error)}.", -error);
        }

        // The object declares the XSKMAP without a size; it must cover every queue index the
        // program may see (rx_queue_index), and is set before libxdp loads the object on attach.
        nint map = Interop.Bpf.ObjectFindMapByName(Interop.Xdp.ProgramBpfObject(_program), MapName);
        if (map == 0)
        {
            ThrowHelper.ThrowAfXdp($"{ObjectFile} has no map named {MapName}; the installed libxdp is not the expected one.");
        }
        Interop.Bpf.MapSetMaxEntries(map, mapEntries);

        if (mode == AfXdpAttachMode.Auto)
        {
            error = Interop.Xdp.ProgramAttach(_program, _ifindex, Interop.Xdp.XDP_MODE_NATIVE, 0);
            if (error == 0)
            {
                Mode = AfXdpAttachMode.Native;
            }
            else
            {
                AfXdpLog.AttachFallback(_logger, _interface, "native", Describe(error));
                mode = AfXdpAttachMode.Skb;
            }
        }
        if (mode != AfXdpAttachMode.Auto)
        {
            int libxdpMode = mode == AfXdpAttachMode.Native ? Interop.Xdp.XDP_MODE_NATIVE : Interop.Xdp.XDP_MODE_SKB;
            error = Interop.Xdp.ProgramAttach(_program, _ifindex, libxdpMode, 0);
            if (error != 0)
            {
                ThrowHelper.ThrowAfXdp($"attaching the XDP program to {_interface} in {mode} mode failed: {Describe(error)}.", -error);
            }
            Mode = mode;
        }

        _mapFd = Interop.Bpf.MapFd(map);
        if (_mapFd < 0)
        {
            ThrowHelper.ThrowAfXdp($"the {MapName} map of the attached program has no fd ({_mapFd}).", -_mapFd);
        }
    }

    /// <summary>Points queue <paramref name="queue"/> of the XSKMAP at socket <paramref name="socketFd"/>.</summary>
    public void Register(int queue, int socketFd)
    {
        uint key = (uint)queue;
        int value = socketFd;
        if (Interop.Bpf.MapUpdateElement(_mapFd, &key, &value, Interop.Bpf.BPF_ANY) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            ThrowHelper.ThrowAfXdp($"adding the socket of queue {queue} to the XSKMAP of {_interface} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).", errno);
        }
    }

    private static string Describe(int error)
    {
        if (error == 0)
        {
            return "unknown error";
        }
        byte* buffer = stackalloc byte[256];
        buffer[0] = 0;
        Interop.Xdp.StrError(error, buffer, 256);
        string text = Marshal.PtrToStringUTF8((nint)buffer) ?? "";
        return $"{text} ({error})";
    }

    public void Dispose()
    {
        if (_program != 0)
        {
            if (Mode != AfXdpAttachMode.Auto)
            {
                int libxdpMode = Mode == AfXdpAttachMode.Native ? Interop.Xdp.XDP_MODE_NATIVE : Interop.Xdp.XDP_MODE_SKB;
                int error = Interop.Xdp.ProgramDetach(_program, _ifindex, libxdpMode, 0);
                if (error != 0)
                {
                    AfXdpLog.DetachFailed(_logger, _interface, Describe(error));
                }
            }
            Interop.Xdp.ProgramClose(_program);
            _program = 0;
            _mapFd = -1;
        }
        // Only now: until the program is detached, another process must not take it for a leftover.
        _owner?.Dispose();
        _owner = null;
    }
}
