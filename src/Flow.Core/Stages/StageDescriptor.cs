using System.Collections.Concurrent;
using System.Reflection;
using Flow.Internal;

namespace Flow;

/// <summary>
/// What a stage type declares: its type name and help, the packet type it accepts, its output
/// ports and its drop reasons. Read once per type by reflection over the Output and drop
/// enums, so the per-packet index and the configuration name come from one declaration.
/// </summary>
public sealed class StageDescriptor
{
    /// <summary>Implicit reason: the stage threw while processing the batch (a bug).</summary>
    public const string StageFault = "stage_fault";

    /// <summary>Implicit reason: the stage wrote a next that names no port or reason (a bug).</summary>
    public const string InvalidNext = "invalid_next";

    private static readonly ConcurrentDictionary<Type, StageDescriptor> s_cache = new();

    private StageDescriptor(Type clrType, string typeName, string help, Type accepts, bool isSource, bool transmits,
        IReadOnlyList<PortDescriptor> ports, IReadOnlyList<DropReasonDescriptor> dropReasons, Type outputEnum, Type dropEnum)
    {
        Transmits = transmits;
        ClrType = clrType;
        TypeName = typeName;
        Help = help;
        Accepts = accepts;
        IsSource = isSource;
        Ports = ports;
        DropReasons = dropReasons;
        OutputEnum = outputEnum;
        DropEnum = dropEnum;
        StageFaultReason = dropReasons.Count - 2;
        InvalidNextReason = dropReasons.Count - 1;
    }

    public Type ClrType { get; }

    /// <summary>lower_snake type name from <see cref="StageAttribute"/> (or derived from the class name).</summary>
    public string TypeName { get; }

    public string Help { get; }

    /// <summary>Packet type the input accepts; null for a source.</summary>
    public Type Accepts { get; }

    public bool IsSource { get; }

    /// <summary>The stage sends what it consumes to a device or file (<see cref="StageAttribute.Transmits"/>).</summary>
    public bool Transmits { get; }

    /// <summary>Output ports in declaration order; a port's index is its <see cref="Next"/> value.</summary>
    public IReadOnlyList<PortDescriptor> Ports { get; }

    /// <summary>Drop reasons in declaration order, followed by the implicit <c>stage_fault</c> and <c>invalid_next</c>.</summary>
    public IReadOnlyList<DropReasonDescriptor> DropReasons { get; }

    public Type OutputEnum { get; }

    public Type DropEnum { get; }

    internal int StageFaultReason { get; }

    internal int InvalidNextReason { get; }

    /// <summary>The port with this wire name, or null.</summary>
    public PortDescriptor? FindPort(string name)
    {
        foreach (PortDescriptor port in Ports)
        {
            if (port.Name == name)
            {
                return port;
            }
        }
        return null;
    }

    /// <summary>The same declarations with other output ports (a stage's per-instance ports).</summary>
    internal StageDescriptor WithPorts(IReadOnlyList<PortDescriptor> ports) =>
        new(ClrType, TypeName, Help, Accepts, IsSource, Transmits, ports, DropReasons, OutputEnum, DropEnum);

    /// <summary>lower_snake: a lower-case letter, then lower-case letters, digits and '_'.</summary>
    internal static bool IsValidPortName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name[0] is < 'a' or > 'z')
        {
            return false;
        }
        foreach (char c in name)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
            {
                return false;
            }
        }
        return true;
    }

    public static StageDescriptor Of(Type stageType) => s_cache.GetOrAdd(stageType, Describe);

    private static StageDescriptor Describe(Type stageType)
    {
        Type? generic = stageType;
        while (generic is not null && !(generic.IsGenericType &&
            (generic.GetGenericTypeDefinition() == typeof(Stage<,>) || generic.GetGenericTypeDefinition() == typeof(SourceStage<,>))))
        {
            generic = generic.BaseType;
        }
        if (generic is null)
        {
            ThrowHelper.ThrowArgument(nameof(stageType), $"{stageType} does not derive from Stage<TOutput, TDrop> or SourceStage<TOutput, TDrop>");
        }
        bool isSource = generic.GetGenericTypeDefinition() == typeof(SourceStage<,>);
        Type outputEnum = generic.GetGenericArguments()[0];
        Type dropEnum = generic.GetGenericArguments()[1];
        if (Enum.GetUnderlyingType(outputEnum) != typeof(byte) || Enum.GetUnderlyingType(dropEnum) != typeof(byte))
        {
            ThrowHelper.ThrowArgument(nameof(stageType), $"{stageType}: output and drop-reason enums must be ': byte'");
        }

        var ports = new List<PortDescriptor>();
        foreach (FieldInfo field in EnumFieldsInValueOrder(outputEnum, stageType))
        {
            PortAttribute? port = field.GetCustomAttribute<PortAttribute>();
            ports.Add(new PortDescriptor(Naming.ToSnakeCase(field.Name), ports.Count,
                port?.Carries ?? typeof(Carries.Any), port?.Description ?? ""));
        }

        var reasons = new List<DropReasonDescriptor>();
        foreach (FieldInfo field in EnumFieldsInValueOrder(dropEnum, stageType))
        {
            DropReasonAttribute? reason = field.GetCustomAttribute<DropReasonAttribute>();
            reasons.Add(new DropReasonDescriptor(Naming.ToSnakeCase(field.Name), reasons.Count,
                reason?.Description ?? Naming.ToSnakeCase(field.Name).Replace('_', ' '), reason?.Severity ?? Severity.Warning));
        }
        reasons.Add(new DropReasonDescriptor(StageFault, reasons.Count, "the stage threw while processing the batch", Severity.Error));
        reasons.Add(new DropReasonDescriptor(InvalidNext, reasons.Count, "the stage named no valid port or reason for the packet", Severity.Error));

        StageAttribute? stage = stageType.GetCustomAttribute<StageAttribute>(inherit: false);
        string typeName = stage?.TypeName ?? Naming.ToSnakeCase(stageType.Name);
        return new StageDescriptor(stageType, typeName, stage?.Help ?? "", stage?.Accepts ?? typeof(Carries.Any), isSource, stage?.Transmits ?? false,
            ports, reasons, outputEnum, dropEnum);
    }

    /// <summary>Enum members must be 0, 1, 2, … so a member's value is its index.</summary>
    private static IEnumerable<FieldInfo> EnumFieldsInValueOrder(Type enumType, Type stageType)
    {
        FieldInfo[] fields = enumType.GetFields(BindingFlags.Public | BindingFlags.Static);
        Array.Sort(fields, (a, b) => Convert.ToInt32(a.GetRawConstantValue()).CompareTo(Convert.ToInt32(b.GetRawConstantValue())));
        for (int i = 0; i < fields.Length; i++)
        {
            if (Convert.ToInt32(fields[i].GetRawConstantValue()) != i)
            {
                ThrowHelper.ThrowArgument(nameof(stageType),
                    $"{stageType}: members of {enumType.Name} must be numbered 0, 1, 2, … in order ('{fields[i].Name}' is not {i})");
            }
        }
        return fields;
    }
}
