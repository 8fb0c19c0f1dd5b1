using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Flow.Hosting.Live;

/// <summary>
/// Creates a capture file for the person who asked: as their uid and gid (the control
/// socket's peer credentials), so the kernel checks that they may create a file there and the
/// file is theirs; never following a symbolic link and never replacing a file (O_EXCL).
/// </summary>
/// <remarks>
/// A graph runs as root to own its NICs; without this, <c>capture start x /etc/...</c> from any
/// user allowed on the socket would write where only root may. setfsuid changes only the
/// calling thread's file-system identity, so open(2) runs between the two calls with nothing
/// else on the thread. Supplementary groups stay root's: a directory writable only by a group
/// root belongs to could still be written.
/// </remarks>
internal static class CaptureFile
{
    private const int Mode = 0x180; // 0600: a capture can hold anything that crossed the wire

    public static FileStream Create(string path, ControlCaller? caller)
    {
        if (!Path.IsPathRooted(path))
        {
            throw new ControlCommandException($"capture file '{path}' is not an absolute path (the graph does not know your working directory)");
        }
        int flags = Interop.Sys.O_WRONLY | Interop.Sys.O_CREAT | Interop.Sys.O_EXCL | Interop.Sys.O_NOFOLLOW | Interop.Sys.O_CLOEXEC;
        int fd;
        int errno;
        if (caller is { } who && Interop.Sys.GetEUid() == 0 && who.UserId != 0)
        {
            int previousGid = Interop.Sys.SetFsGid(who.GroupId);
            int previousUid = Interop.Sys.SetFsUid(who.UserId);
            bool switched = Interop.Sys.SetFsUid(who.UserId) == (int)who.UserId;
            fd = switched ? Interop.Sys.Open(path, flags, Mode) : -1;
            errno = switched ? Marshal.GetLastPInvokeError() : Interop.Errno.EPERM;
            Interop.Sys.SetFsUid((uint)previousUid);
            Interop.Sys.SetFsGid((uint)previousGid);
        }
        else
        {
            fd = Interop.Sys.Open(path, flags, Mode);
            errno = Marshal.GetLastPInvokeError();
        }
        if (fd < 0)
        {
            throw new ControlCommandException(errno switch
            {
                Interop.Errno.EEXIST => $"'{path}' exists; a capture never replaces a file",
                Interop.Errno.ELOOP => $"'{path}' is a symbolic link; a capture never follows one",
                Interop.Errno.ENOENT => $"the directory of '{path}' does not exist",
                Interop.Errno.EACCES or Interop.Errno.EPERM => $"you (uid {caller?.UserId}) may not create '{path}'",
                _ => $"cannot create '{path}': {Marshal.GetPInvokeErrorMessage(errno)}",
            });
        }
        return new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, bufferSize: 64 * 1024);
    }
}
