namespace Flow.Backends.Memif.Internal;

/// <summary>
/// Who may be the peer of a memif interface: the SO_PEERCRED uid/gid of the other end of the
/// control socket, against <see cref="MemifOptions.AllowedUids"/> and
/// <see cref="MemifOptions.AllowedGids"/> (security review C1, H2). The kernel records the
/// credentials at connect (a client) or listen (a server), so they cannot be forged by the peer.
/// </summary>
internal static class MemifPeerCheck
{
    private static readonly uint s_ownUid = Interop.Sys.GetEUid();

    /// <summary>The peer's credentials; false when the socket has none (not AF_UNIX, or already gone).</summary>
    public static bool TryRead(int socketFd, out Interop.Sys.UCred credentials) => Interop.Sys.TryGetPeerCred(socketFd, out credentials);

    /// <summary>True when <paramref name="options"/> admit a peer running as <paramref name="uid"/>/<paramref name="gid"/>.</summary>
    public static bool Allows(MemifOptions options, uint uid, uint gid)
    {
        bool uidAllowed = options.AllowedUids is { } uids ? uids.Contains(uid) : uid == s_ownUid || uid == 0;
        return uidAllowed || options.AllowedGids.Contains(gid);
    }

    /// <summary>Why a peer is refused, for logs and the DISCONNECT reason.</summary>
    public static string Refusal(in Interop.Sys.UCred credentials) =>
        $"peer pid {credentials.Pid} uid {credentials.Uid} gid {credentials.Gid} is not in the allowed uids/gids";

    /// <summary>
    /// True when a peer running as <paramref name="uid"/> could read Flow's memory anyway (root, or
    /// Flow's own user, can ptrace it), so showing it shared memory reveals nothing new.
    /// </summary>
    public static bool IsSelfOrRoot(uint uid) => uid == 0 || uid == s_ownUid;
}
