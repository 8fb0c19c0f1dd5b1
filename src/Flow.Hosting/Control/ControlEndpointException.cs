namespace Flow.Hosting;

/// <summary>
/// A control endpoint could not listen: another live graph owns the socket, the path is taken
/// by a file that is not a socket, or it is too long or not writable. The message says which
/// and what to do.
/// </summary>
public sealed class ControlEndpointException : IOException
{
    public ControlEndpointException(string message)
        : base(message)
    {
    }

    public ControlEndpointException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
