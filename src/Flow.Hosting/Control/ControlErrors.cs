namespace Flow.Hosting;

/// <summary>The <c>"error"</c> codes of a control reply (docs/control.md).</summary>
public static class ControlErrors
{
    /// <summary>The line is not a JSON object with a <c>"command"</c> string, or is too long.</summary>
    public const string BadRequest = "bad_request";

    /// <summary>No command has that name.</summary>
    public const string UnknownCommand = "unknown_command";

    /// <summary>The command refused a value (unknown argument, port, VLAN, stage; bad MAC); nothing changed.</summary>
    public const string Refused = "refused";

    /// <summary>The stage's worker did not answer in time; the command may still complete.</summary>
    public const string Timeout = "timeout";

    /// <summary>The command threw unexpectedly (a bug); the graph keeps running.</summary>
    public const string Failed = "failed";

    /// <summary>The endpoint already serves its maximum number of connections, or another command (perhaps one that timed out) is still running.</summary>
    public const string Busy = "busy";
}
