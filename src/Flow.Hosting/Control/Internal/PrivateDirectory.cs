using System.Globalization;
using System.Runtime.InteropServices;

namespace Flow.Hosting.Internal;

/// <summary>
/// The control socket's default directory, which may sit in world-writable <c>/tmp</c>: it is
/// made mode 0700 in one <c>mkdir</c>, or, when it exists, used only if it is a real directory
/// (not a symlink), owned by this user, with no access for group and others — what tmux and
/// ssh-agent require of theirs. Otherwise another local user could have made it first and
/// replace or pre-empt the socket inside (security review M6). Clients check it the same way
/// before they connect to a socket there.
/// </summary>
internal static class PrivateDirectory
{
    private const uint OwnerOnly = 0x1C0; // 0700
    private const int GroupOtherBits = 0x3F; // 0077

    /// <summary>Creates <paramref name="directory"/> or checks the one there; throws <see cref="ControlEndpointException"/> naming what is wrong.</summary>
    public static void Ensure(string directory)
    {
        string? parent = Path.GetDirectoryName(directory);
        try
        {
            if (parent is not null)
            {
                Directory.CreateDirectory(parent);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ControlEndpointException($"cannot create the control socket's directory '{directory}': {e.Message}", e);
        }
        if (Interop.Sys.Mkdir(directory, OwnerOnly) == 0)
        {
            return;
        }
        int errno = Marshal.GetLastPInvokeError();
        if (errno != Interop.Errno.EEXIST)
        {
            throw new ControlEndpointException($"cannot create the control socket's directory '{directory}': {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        RequirePrivate(directory, "refusing to put the control socket there (remove it, or choose another place with FLOW_CONTROL_DIR or --control)");
    }

    /// <summary>
    /// For a client about to connect to a socket in <paramref name="directory"/>: throws when the
    /// directory exists and is not private to this user, since whoever controls it controls
    /// which socket answers. A missing directory passes (there is nothing to connect to).
    /// </summary>
    public static void Check(string directory)
    {
        if (Interop.Sys.LStat(directory, out _, out _))
        {
            RequirePrivate(directory, "refusing to connect to a control socket in it (another user could have put it there)");
        }
    }

    /// <summary>Throws with <paramref name="refusal"/> unless <paramref name="directory"/> is a real directory of this user with mode 0700 or less.</summary>
    private static void RequirePrivate(string directory, string refusal)
    {
        if (!Interop.Sys.LStat(directory, out int mode, out uint owner))
        {
            throw new ControlEndpointException($"cannot check the control socket's directory '{directory}': {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
        int type = mode & Interop.Sys.S_IFMT;
        if (type != Interop.Sys.S_IFDIR)
        {
            throw new ControlEndpointException($"the control socket's directory '{directory}' is {(type == Interop.Sys.S_IFLNK ? "a symbolic link" : "not a directory")}; {refusal}");
        }
        uint self = Interop.Sys.GetEUid();
        if (owner != self)
        {
            throw new ControlEndpointException($"the control socket's directory '{directory}' is owned by uid {owner}, not by this user (uid {self}); {refusal}");
        }
        if ((mode & GroupOtherBits) != 0)
        {
            throw new ControlEndpointException($"the control socket's directory '{directory}' has mode {Convert.ToString(mode & 0xFFF, 8).PadLeft(4, '0')}, " +
                $"which lets group or others in; it must be 0700. {char.ToUpper(refusal[0], CultureInfo.InvariantCulture)}{refusal[1..]}");
        }
    }
}
