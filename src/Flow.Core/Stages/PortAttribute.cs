namespace Flow;

/// <summary>
/// Declares what an output port carries, on a member of a stage's <c>Output</c> enum. A member
/// without it carries <see cref="Carries.Any"/>. The port's wire name is the member name in
/// lower_snake case (<c>ToHost</c> → <c>to_host</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class PortAttribute : Attribute
{
    public PortAttribute(Type carries, string description)
    {
        Carries = carries;
        Description = description;
    }

    public Type Carries { get; }

    public string Description { get; }
}
