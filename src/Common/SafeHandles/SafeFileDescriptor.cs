using System.Runtime.InteropServices;

namespace Flow;

/// <summary>
/// A file descriptor that outlives the call that opened it (a socket, a device), closed exactly
/// once, even when its owner is never disposed.
/// </summary>
/// <remarks>
/// Hot paths pass <see cref="Fd"/> to P/Invokes that take an <c>int</c>: a SafeHandle parameter
/// would cost an interlocked add-ref and release per call. That is safe because the stage that
/// calls them holds the descriptor's owner until its worker has stopped.
/// </remarks>
internal class SafeFileDescriptor : SafeHandle
{
    public SafeFileDescriptor(int fd)
        : base(invalidHandleValue: -1, ownsHandle: true) => SetHandle(fd);

    public override bool IsInvalid => handle == -1;

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => Interop.Sys.Close((int)handle) == 0;
}
