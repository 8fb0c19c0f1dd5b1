namespace Flow;

/// <summary>
/// A control command refused its request: the message names the bad value, in one sentence
/// (BESS <c>CommandFailure(EINVAL, ...)</c>). Nothing was changed.
/// </summary>
public sealed class ControlCommandException : Exception
{
    public ControlCommandException(string message)
        : base(message)
    {
    }

    public ControlCommandException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
