using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Flow.Backends.AfXdp.Internal;

/// <summary>
/// The XDP redirect program and its XSKMAP on one interface, loaded and attached with libxdp
/// (libxdp's own <c>xsk_def_xdp_prog.o</c>: redirect to the socket of <c>rx_queue_index</c>,
/// else XDP_PASS, so traffic for queues without a socket still reaches the kernel stack).
/// </summary>
internal sealed unsafe class XdpProgram : IDisposable
{
    /// <summary>libxdp's default AF_XDP program, installed by Debian's libxdp1 under /usr/lib/&lt;triplet&gt;/bpf.</summary>
    public const string ObjectFile = "xsk_def_xdp_prog.o";

    /// <summary>The program's function name, how a left-over attachment is recognised.</summary>
    public const string ProgramName = "xsk_def_prog";

    private const string MapName = "xsks_map";

    private readonly string _interface;
    private readonly int _ifindex;
    private readonly ILogger _logger;
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
    /// Replaces a left-over AF_XDP program (when allowed), then loads and attaches ours with an
    /// XSKMAP of <paramref name="mapEntries"/> entries.
    /// </summary>
    public static XdpProgram Attach(string @interface, int ifindex, AfXdpAttachMode mode, uint mapEntries,
        bool replaceLeftover, ILogger logger)
    {
        var program = new XdpProgram(@interface, ifindex, logger);
        try
        {
            program.RemoveLeftover(replaceLeftover);
            program.LoadAndAttach(mode, mapEntries);
            return program;
        }
        catch
        {
            program.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Looks at what is attached to the interface. Flow's own program (by name) left by a run
    /// that died without detaching it is removed; anything else is refused, never replaced.
    /// </summary>
    private void RemoveLeftover(bool replace)
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
            if (Interop.Xdp.MultiprogIsLegacy(multiprog))
            {
                Classify(Interop.Xdp.MultiprogMainProgram(multiprog), ref ours, ref foreign, ref id);
            }
            else
            {
                for (nint p = Interop.Xdp.MultiprogNextProgram(0, multiprog); p != 0; p = Interop.Xdp.MultiprogNextProgram(p, multiprog))
                {
                    Classify(p, ref ours, ref foreign, ref id);
                }
            }
            if (foreign is not null)
            {
                ThrowHelper.ThrowAfXdp($"{_interface} already has the XDP program '{foreign}' attached; Flow does not replace a program it did not load. Detach it first (xdp-loader unload {_interface} --all).");
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

    private static void Classify(nint program, ref string? ours, ref string? foreign, ref uint id)
    {
        if (program == 0)
        {
            return;
        }
        string name = Marshal.PtrToStringUTF8((nint)Interop.Xdp.ProgramName(program)) ?? "";
        if (name == ProgramName)
        {
            ours = name;
            id = Interop.Xdp.ProgramId(program);
        }
        else
        {
            foreign = name;
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
        if (_program == 0)
        {
            return;
        }
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
}
