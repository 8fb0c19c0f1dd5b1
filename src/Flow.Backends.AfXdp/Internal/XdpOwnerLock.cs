using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Flow.Backends.AfXdp.Internal;

/// <summary>
/// Who owns the XDP program of one interface: a file per (network namespace, ifindex) under
/// <see cref="LockDirectory"/>, flock'ed by the owning process for as long as its port is open
/// and holding that process's pid and the id of the program it attached.
/// </summary>
/// <remarks>
/// The kernel drops a flock when its holder dies, however it dies (SIGKILL included), so a
/// lock that can be taken means the recorded owner is gone, and a lock that cannot means it is
/// alive. The recorded program id then names the one attached program a dead owner left
/// behind; nothing else — in particular not a program's name, which every libxdp AF_XDP
/// application shares — makes an attached program Flow's to replace.
/// <code>
/// /run/flow/af_xdp/&lt;netns inode&gt;-&lt;ifindex&gt;.lock    "&lt;pid&gt; &lt;program id&gt; &lt;interface&gt;\n"
/// </code>
/// The file is never removed: removing a lock file while others may have it open lets two
/// processes hold "the" lock at once. A stale record is harmless, as its program id is either
/// gone or still the leftover it names.
/// </remarks>
internal sealed class XdpOwnerLock : IDisposable
{
    /// <summary>Root-only directory of the lock files (/run is a tmpfs: emptied at boot, as attachments are).</summary>
    public const string LockDirectory = "/run/flow/af_xdp";

    private readonly SafeFileHandle _file;
    private readonly string _interface;

    private XdpOwnerLock(string path, string @interface, SafeFileHandle file, uint leftoverProgramId)
    {
        Path = path;
        _interface = @interface;
        _file = file;
        LeftoverProgramId = leftoverProgramId;
    }

    public string Path { get; }

    /// <summary>The program id the previous owner, now dead, recorded; 0 when there was none.</summary>
    public uint LeftoverProgramId { get; }

    /// <summary>
    /// Takes the lock of <paramref name="ifindex"/> in the calling thread's network namespace.
    /// Fails with EBUSY, naming the owner's pid, while another live process holds it.
    /// </summary>
    public static XdpOwnerLock Acquire(string @interface, int ifindex)
    {
        EnsureDirectory();
        string path = $"{LockDirectory}/{NetworkNamespaceId()}-{ifindex.ToString(CultureInfo.InvariantCulture)}.lock";
        // 0600: only the owner (root) reads or writes the record.
        int fd = Interop.Sys.Open(path, Interop.Sys.O_RDWR | Interop.Sys.O_CREAT | Interop.Sys.O_CLOEXEC | Interop.Sys.O_NOFOLLOW, 0x180);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            ThrowHelper.ThrowAfXdp($"opening {path}, the record of who owns the XDP program of {@interface}, failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).", errno);
        }
        var file = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            if (Interop.Sys.Flock(file, Interop.Sys.LOCK_EX | Interop.Sys.LOCK_NB) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Interop.Errno.EAGAIN)
                {
                    (int pid, _) = ReadRecord(file);
                    ThrowHelper.ThrowAfXdp(
                        $"{@interface} is in use: process {pid} holds {path} and owns its XDP program. Flow never detaches the program of a live owner. " +
                        $"Stop that process; if it is not a Flow run and leaves its program behind, detach it with xdp-loader unload {@interface} --all.",
                        Interop.Errno.EBUSY);
                }
                ThrowHelper.ThrowAfXdp($"locking {path} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).", errno);
            }
            (_, uint program) = ReadRecord(file);
            return new XdpOwnerLock(path, @interface, file, program);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Records this process and the program it attached, so a later run can replace the program if this one dies.</summary>
    public void Record(uint programId)
    {
        byte[] record = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId} {programId} {_interface}\n"));
        if (Interop.Sys.Ftruncate(_file, 0) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            ThrowHelper.ThrowAfXdp($"truncating {Path} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).", errno);
        }
        RandomAccess.Write(_file, record, 0);
    }

    /// <summary>Releases the lock (closing the fd drops the flock).</summary>
    public void Dispose() => _file.Dispose();

    /// <summary>The pid and program id of a record; zeros when it is empty or not one.</summary>
    private static (int Pid, uint Program) ReadRecord(SafeFileHandle file)
    {
        Span<byte> buffer = stackalloc byte[64];
        int length = RandomAccess.Read(file, buffer, 0);
        string[] fields = Encoding.ASCII.GetString(buffer.Slice(0, length)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length >= 2
            && int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
            && uint.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out uint program))
        {
            return (pid, program);
        }
        return (0, 0);
    }

    /// <summary>
    /// Creates the lock directory (0700) and refuses one that is a link, not a directory, not
    /// owned by this user or writable by others: whoever can write there can fake ownership.
    /// </summary>
    private static unsafe void EnsureDirectory()
    {
        // /run/flow is shared with the control sockets, whose endpoint refuses a directory others
        // can enter: made 0700 here too, or `flow run` after an AF_XDP graph could not start.
        foreach ((string directory, uint mode) in (ReadOnlySpan<(string, uint)>)[("/run/flow", 0x1C0), (LockDirectory, 0x1C0)])
        {
            if (Interop.Sys.Mkdir(directory, mode) != 0 && Marshal.GetLastPInvokeError() is int errno and not Interop.Errno.EEXIST)
            {
                ThrowHelper.ThrowAfXdp($"AF_XDP records who owns an interface's XDP program under {LockDirectory}; creating {directory} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).", errno);
            }
        }
        Interop.Sys.Statx status = default; // zeroed: the kernel fills only the fields asked for
        if (Interop.Sys.StatxPath(0, LockDirectory, Interop.Sys.AT_SYMLINK_NOFOLLOW, Interop.Sys.STATX_TYPE | Interop.Sys.STATX_MODE | Interop.Sys.STATX_UID, &status) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            ThrowHelper.ThrowAfXdp($"statx of {LockDirectory} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).", errno);
        }
        if ((status.Mode & Interop.Sys.S_IFMT) != Interop.Sys.S_IFDIR || status.Uid != Interop.Sys.GetEUid() || (status.Mode & 0x12) != 0)
        {
            ThrowHelper.ThrowAfXdp($"{LockDirectory} must be a directory owned by uid {Interop.Sys.GetEUid()} and writable by it alone (it is mode {Convert.ToString(status.Mode, 8)}, uid {status.Uid}); remove it and Flow recreates it.");
        }
    }

    /// <summary>The inode of the calling thread's network namespace: ifindexes are per namespace.</summary>
    private static string NetworkNamespaceId()
    {
        // readlink gives "net:[4026531840]".
        string? link = new FileInfo("/proc/thread-self/ns/net").LinkTarget;
        int open = link?.IndexOf('[', StringComparison.Ordinal) ?? -1;
        if (link is null || open < 0 || !link.EndsWith(']'))
        {
            ThrowHelper.ThrowAfXdp($"/proc/thread-self/ns/net reads '{link}', not net:[inode]; is /proc mounted?");
        }
        return link[(open + 1)..^1];
    }
}
