namespace Flow.Stages.Switching;

/// <summary>
/// A switch configuration or control command was refused; the message names every bad value
/// (BESS <c>CommandFailure(EINVAL, ...)</c>). Nothing was changed.
/// </summary>
public sealed class SwitchConfigurationException : ArgumentException
{
    public SwitchConfigurationException(IReadOnlyList<string> errors)
        : base(string.Join(Environment.NewLine, errors)) => Errors = errors;

    public SwitchConfigurationException(string error)
        : this([error])
    {
    }

    /// <summary>Each problem found, one sentence each.</summary>
    public IReadOnlyList<string> Errors { get; }
}
