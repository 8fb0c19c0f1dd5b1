namespace Flow;

/// <summary>Stage types by lower_snake name; filled by <see cref="FlowServiceCollectionExtensions.AddFlowStage{TStage}"/>.</summary>
public sealed class StageRegistry
{
    private readonly Dictionary<string, StageRegistration> _byName = new(StringComparer.Ordinal);

    public StageRegistry(IEnumerable<StageRegistration> registrations)
    {
        foreach (StageRegistration registration in registrations)
        {
            if (_byName.TryGetValue(registration.TypeName, out StageRegistration? existing) &&
                existing.Descriptor.ClrType != registration.Descriptor.ClrType)
            {
                throw new InvalidOperationException(
                    $"stage type name '{registration.TypeName}' is registered twice: by {existing.Descriptor.ClrType} and by {registration.Descriptor.ClrType}");
            }
            _byName[registration.TypeName] = registration;
        }
    }

    public IReadOnlyCollection<StageRegistration> All => _byName.Values;

    public bool TryGet(string typeName, out StageRegistration registration) =>
        _byName.TryGetValue(typeName, out registration!);
}
