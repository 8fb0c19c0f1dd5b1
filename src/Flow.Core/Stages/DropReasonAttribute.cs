namespace Flow;

/// <summary>
/// Describes a drop reason, on a member of a stage's drop-reason enum: a sentence for people
/// and a severity. The reason's symbol is the member name in lower_snake case.
/// </summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class DropReasonAttribute : Attribute
{
    public DropReasonAttribute(string description, Severity severity = Severity.Warning)
    {
        Description = description;
        Severity = severity;
    }

    public string Description { get; }

    public Severity Severity { get; }
}
