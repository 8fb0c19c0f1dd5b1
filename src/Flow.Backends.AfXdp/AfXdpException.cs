namespace Flow.Backends.AfXdp;

/// <summary>An AF_XDP setup step failed (socket, UMEM, ring mapping, bind, XDP program); the message names the step, the interface and the errno.</summary>
public sealed class AfXdpException : Exception
{
    public AfXdpException(string message, int errno = 0)
        : base(message)
    {
        Errno = errno;
    }

    /// <summary>The errno of the failing call, or 0.</summary>
    public int Errno { get; }
}
