namespace Flow.Stages.Ipv4;

/// <summary>
/// A router stage's configuration was refused; the message names every bad value (BESS
/// <c>CommandFailure(EINVAL, ...)</c>). Nothing was changed.
/// </summary>
public sealed class RouterConfigurationException : ArgumentException
{
    public RouterConfigurationException(IReadOnlyList<string> errors)
        : base(string.Join(Environment.NewLine, errors)) => Errors = errors;

    public RouterConfigurationException(string error)
        : this([error])
    {
    }

    /// <summary>Each problem found, one sentence each.</summary>
    public IReadOnlyList<string> Errors { get; }
}
