namespace Flow;

/// <summary>
/// Names a stage type once, next to its class: the lower_snake type name used in graph files,
/// DI registration and metric tags, one line of help, and what the stage accepts.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class StageAttribute : Attribute
{
    public StageAttribute(string typeName, string help)
    {
        TypeName = typeName;
        Help = help;
    }

    public string TypeName { get; }

    public string Help { get; }

    /// <summary>Packet type the stage's input accepts; <see cref="Carries.Any"/> unless set.</summary>
    public Type Accepts { get; init; } = typeof(Carries.Any);

    /// <summary>
    /// The stage hands packets to a device or file (a backend's <c>_tx</c>): what it consumes it
    /// has sent, and stats call them <c>sent</c> instead of <c>consumed</c>.
    /// </summary>
    public bool Transmits { get; init; }
}
