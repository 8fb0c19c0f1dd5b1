namespace Flow;

/// <summary>What a <see cref="GraphError"/> is about; the fields it fills are named on each kind.</summary>
public enum GraphErrorKind
{
    /// <summary>A worker id below 0. <see cref="GraphError.Worker"/>.</summary>
    InvalidWorkerId,

    /// <summary>A worker declared twice. <see cref="GraphError.Worker"/>.</summary>
    WorkerDeclaredTwice,

    /// <summary>Worker ids are not 0, 1, 2, … <see cref="GraphError.Worker"/> is the first missing id.</summary>
    WorkerIdGap,

    /// <summary>A worker pinned to a CPU this process may not run on. <see cref="GraphError.Worker"/>.</summary>
    CpuUnavailable,

    /// <summary>A burst size outside 1 to <see cref="Burst.Max"/>. No other field.</summary>
    InvalidBurst,

    /// <summary>An empty stage name or one with a ':'. <see cref="GraphError.Stage"/>.</summary>
    InvalidStageName,

    /// <summary>Two stages under one name. <see cref="GraphError.Stage"/>.</summary>
    StageAddedTwice,

    /// <summary>One stage instance added under two names. <see cref="GraphError.Stage"/> is the second name.</summary>
    StageInstanceReused,

    /// <summary>A stage instance already placed in another graph. <see cref="GraphError.Stage"/>.</summary>
    StageInAnotherGraph,

    /// <summary>A stage whose declarations (outputs, drop reasons, instance ports) are not valid. <see cref="GraphError.Stage"/>.</summary>
    InvalidStageDeclaration,

    /// <summary>A stage placed on a worker id below 0. <see cref="GraphError.Stage"/>, <see cref="GraphError.Worker"/>.</summary>
    StageWorkerInvalid,

    /// <summary>An edge naming a stage the graph does not have. <see cref="GraphError.Edge"/>, <see cref="GraphError.Stage"/> (the missing name).</summary>
    UnknownStage,

    /// <summary>An edge naming a port its stage does not have. <see cref="GraphError.Edge"/>, <see cref="GraphError.Stage"/>, <see cref="GraphError.Port"/>.</summary>
    UnknownPort,

    /// <summary>An edge from a stage with several ports that names none. <see cref="GraphError.Edge"/>, <see cref="GraphError.Stage"/>.</summary>
    PortNotNamed,

    /// <summary>An edge from a stage that has no output ports. <see cref="GraphError.Edge"/>, <see cref="GraphError.Stage"/>.</summary>
    NoOutputPorts,

    /// <summary>An edge into a source, which takes no input. <see cref="GraphError.Edge"/>, <see cref="GraphError.Stage"/> (the target).</summary>
    TargetIsSource,

    /// <summary>A port connected by a second edge. <see cref="GraphError.Edge"/> (the second), <see cref="GraphError.Stage"/>, <see cref="GraphError.Port"/>.</summary>
    PortConnectedTwice,

    /// <summary>A ring between workers whose capacity is not a power of two ≥ 2. <see cref="GraphError.Edge"/>.</summary>
    InvalidRingCapacity,

    /// <summary>
    /// A port carrying a packet type its target does not accept. <see cref="GraphError.Edge"/>,
    /// <see cref="GraphError.Stage"/> and <see cref="GraphError.Port"/> (the sending side).
    /// </summary>
    PortTypeMismatch,

    /// <summary>A port no edge leaves from. <see cref="GraphError.Stage"/>, <see cref="GraphError.Port"/>.</summary>
    PortNotConnected,

    /// <summary>A stage other than a source that no edge leads to. <see cref="GraphError.Stage"/>.</summary>
    NoInput,

    /// <summary>
    /// Stages on one worker that form a cycle. <see cref="GraphError.Worker"/>, <see cref="GraphError.Stage"/>
    /// (where the cycle was entered; the message lists the whole cycle).
    /// </summary>
    Cycle,
}
