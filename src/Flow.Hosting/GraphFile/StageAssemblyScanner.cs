using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Hosting;

/// <summary>
/// Finds user stage types in an assembly: every non-abstract class deriving from
/// <see cref="Stage"/> that carries <see cref="StageAttribute"/>. A stage's options type is the
/// type of the constructor parameter named <c>options</c>, or else of the one parameter whose
/// type name ends in <c>Options</c>; other constructor parameters come from DI.
/// </summary>
public static class StageAssemblyScanner
{
    public static IReadOnlyList<StageRegistration> Scan(Assembly assembly)
    {
        Type[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            types = e.Types.Where(t => t is not null).ToArray()!;
        }
        var registrations = new List<StageRegistration>();
        foreach (Type type in types)
        {
            if (type.IsClass && !type.IsAbstract && typeof(Stage).IsAssignableFrom(type) && type.IsDefined(typeof(StageAttribute), inherit: false))
            {
                registrations.Add(Register(type));
            }
        }
        return registrations;
    }

    public static StageRegistration Register(Type stageType)
    {
        Type? optionsType = OptionsTypeOf(stageType);
        return new StageRegistration(StageDescriptor.Of(stageType), optionsType, (provider, options) =>
            (Stage)(options is null
                ? ActivatorUtilities.CreateInstance(provider, stageType)
                : ActivatorUtilities.CreateInstance(provider, stageType, options)));
    }

    private static Type? OptionsTypeOf(Type stageType)
    {
        foreach (ConstructorInfo constructor in stageType.GetConstructors().OrderByDescending(c => c.GetParameters().Length))
        {
            ParameterInfo[] parameters = constructor.GetParameters();
            ParameterInfo? options = parameters.FirstOrDefault(p => p.Name == "options") ??
                (parameters.Count(p => p.ParameterType.Name.EndsWith("Options", StringComparison.Ordinal)) == 1
                    ? parameters.First(p => p.ParameterType.Name.EndsWith("Options", StringComparison.Ordinal))
                    : null);
            if (options is not null && options.ParameterType.IsClass && options.ParameterType.GetConstructor(Type.EmptyTypes) is not null)
            {
                return options.ParameterType;
            }
        }
        return null;
    }
}
