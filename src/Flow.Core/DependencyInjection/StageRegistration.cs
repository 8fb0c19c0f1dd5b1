namespace Flow;

/// <summary>
/// A stage type known by name: what <c>flow stages</c> lists and what a graph file's
/// <c>"type"</c> resolves to. <see cref="OptionsType"/> is null for stages without options.
/// </summary>
public sealed class StageRegistration
{
    private readonly Func<IServiceProvider, object?, Stage> _factory;

    public StageRegistration(StageDescriptor descriptor, Type? optionsType, Func<IServiceProvider, object?, Stage> factory)
    {
        Descriptor = descriptor;
        OptionsType = optionsType;
        _factory = factory;
    }

    public string TypeName => Descriptor.TypeName;

    public StageDescriptor Descriptor { get; }

    public Type? OptionsType { get; }

    /// <summary>Makes a stage; <paramref name="options"/> is an instance of <see cref="OptionsType"/> (or null to use defaults).</summary>
    public Stage Create(IServiceProvider services, object? options)
    {
        if (OptionsType is not null && options is null)
        {
            options = Activator.CreateInstance(OptionsType);
        }
        return _factory(services, options);
    }
}
