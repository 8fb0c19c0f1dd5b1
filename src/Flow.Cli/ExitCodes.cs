namespace Flow.Cli;

/// <summary>What <c>flow</c> exits with (documented in docs/graph-format.md and <c>flow --help</c>).</summary>
internal static class ExitCodes
{
    /// <summary>The command did what was asked (a run ended by its sources, its duration, or Ctrl-C).</summary>
    public const int Success = 0;

    /// <summary>The graph ran and a stage faulted (threw); the run was stopped.</summary>
    public const int GraphFaulted = 1;

    /// <summary>The command line is wrong (unknown verb or option, missing argument).</summary>
    public const int Usage = 2;

    /// <summary>A file named on the command line does not exist or cannot be read.</summary>
    public const int FileNotReadable = 3;

    /// <summary>The graph file is not valid; every error was printed.</summary>
    public const int GraphInvalid = 4;

    /// <summary>The metrics endpoint could not be served (not loopback, port taken) or read.</summary>
    public const int MetricsUnavailable = 5;

    /// <summary>A demo needs what this machine or user lacks (root for network namespaces, the 'ip' or 'ping' tool).</summary>
    public const int NeedsPrivilege = 6;

    /// <summary>A demo ran but did not behave as it should (a ping check failed, stats did not balance, its setup failed).</summary>
    public const int DemoFailed = 7;

    /// <summary><c>flow ctl</c>: no running graph answers at the control socket (or it did not answer in time); <c>flow run</c>: its control socket cannot be served.</summary>
    public const int ControlUnavailable = 8;

    /// <summary><c>flow ctl</c>: the running graph refused the command (unknown command, port, VLAN or stage; bad value); nothing changed.</summary>
    public const int ControlRefused = 9;

    /// <summary>A bug in flow itself; the message says what happened.</summary>
    public const int InternalError = 70;
}
