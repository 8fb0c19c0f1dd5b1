namespace Flow;

/// <summary>How much a counted event should worry an operator.</summary>
public enum Severity : byte
{
    /// <summary>Expected in normal operation (a filter doing its job).</summary>
    Info,
    /// <summary>Bad input or pressure from outside (malformed packet, full ring).</summary>
    Warning,
    /// <summary>A bug or a broken invariant in Flow or a stage.</summary>
    Error,
}
