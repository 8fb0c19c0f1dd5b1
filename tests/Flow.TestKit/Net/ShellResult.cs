namespace Flow.TestKit;

/// <summary>Exit code and output of a finished command (-1 when it was killed for running too long).</summary>
public readonly record struct ShellResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Both streams, standard output first: what a failed assertion should show.</summary>
    public string Output => StandardOutput + StandardError;
}
