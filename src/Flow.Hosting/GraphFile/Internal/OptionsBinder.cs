using System.Collections;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using Flow.Internal;

namespace Flow.Hosting.Internal;

/// <summary>
/// Binds a stage's <c>config</c> object onto its options type: keys match properties by name
/// with case and underscores ignored (<c>frame_size</c> → <c>FrameSize</c>); unknown keys,
/// missing required keys (C# <c>required</c> or <see cref="RequiredAttribute"/>), values of the
/// wrong type or out of the type's range, and DataAnnotations failures are all reported, each
/// at the position of the offending key or value.
/// </summary>
internal static class OptionsBinder
{
    private static readonly NullabilityInfoContext s_nullability = new();

    /// <summary>Binds <paramref name="config"/> (absent: defaults); missing-key errors point at <paramref name="stage"/> when there is no config.</summary>
    public static object? Bind(Type optionsType, SourceNode? config, SourceNode stage, string stageType, ErrorList errors)
    {
        int before = errors.Count;
        if (config is not null && config.Kind != SourceKind.Object && config.Kind != SourceKind.Null)
        {
            errors.Add(config, $"expected an object with the config of stage type '{stageType}', found {config.Describe()}");
            return null;
        }
        object instance = BindObject(optionsType, config is { Kind: SourceKind.Object } ? config : null, config ?? stage, $"stage type '{stageType}'", errors);
        return errors.Count == before ? instance : null;
    }

    public static IReadOnlyList<ConfigKey> Describe(Type optionsType)
    {
        object? defaults = TryCreate(optionsType);
        var keys = new List<ConfigKey>();
        foreach (PropertyInfo property in Settable(optionsType))
        {
            object? value = defaults is null ? null : property.GetValue(defaults);
            keys.Add(new ConfigKey(Naming.ToSnakeCase(property.Name), Expected(property.PropertyType, property),
                IsRequired(property) ? null : FormatDefault(value), IsRequired(property),
                property.GetCustomAttribute<DescriptionAttribute>()?.Description));
        }
        return keys;
    }

    private static object BindObject(Type type, SourceNode? node, SourceNode? anchor, string owner, ErrorList errors)
    {
        object instance = TryCreate(type) ?? throw new InvalidOperationException($"{type} has no public parameterless constructor");
        PropertyInfo[] properties = Settable(type);
        var byFolded = new Dictionary<string, PropertyInfo>(StringComparer.Ordinal);
        foreach (PropertyInfo property in properties)
        {
            byFolded.TryAdd(Naming.Fold(property.Name), property);
        }
        var seen = new Dictionary<PropertyInfo, SourceMember>();
        if (node is not null)
        {
            foreach (SourceMember member in node.Members)
            {
                if (!byFolded.TryGetValue(Naming.Fold(member.Key), out PropertyInfo? property))
                {
                    errors.Add(member.KeyPosition, member.Value.Path,
                        $"unknown config key '{member.Key}' for {owner}; expected one of: {KeyList(properties)}");
                    continue;
                }
                if (seen.TryGetValue(property, out SourceMember? first))
                {
                    errors.Add(member.KeyPosition, member.Value.Path,
                        $"config key '{member.Key}' is given twice (first at {first.KeyPosition})");
                    continue;
                }
                seen.Add(property, member);
                if (TryConvert(property.PropertyType, member.Value, property, errors, out object? value))
                {
                    property.SetValue(instance, value);
                }
            }
        }
        foreach (PropertyInfo property in properties)
        {
            string key = Naming.ToSnakeCase(property.Name);
            if (!seen.TryGetValue(property, out SourceMember? member))
            {
                if (IsRequired(property))
                {
                    SourcePosition position = anchor?.Position ?? new SourcePosition(1, 1);
                    errors.Add(position, anchor?.Path ?? "$", $"missing config key '{key}' for {owner}: expected {Expected(property.PropertyType, property)}");
                }
                continue;
            }
            object? value = property.GetValue(instance);
            var context = new ValidationContext(instance) { MemberName = property.Name, DisplayName = key };
            foreach (ValidationAttribute attribute in property.GetCustomAttributes<ValidationAttribute>())
            {
                if (attribute is RequiredAttribute)
                {
                    continue;
                }
                if (attribute.GetValidationResult(value, context) is { } failure && failure != ValidationResult.Success)
                {
                    string message = attribute is RangeAttribute range
                        ? $"expected a value from {range.Minimum} to {range.Maximum}, found {FormatDefault(value)}"
                        : failure.ErrorMessage ?? $"'{key}' is not valid";
                    errors.Add(member.Value, message);
                }
            }
        }
        if (instance is IValidatableObject validatable)
        {
            foreach (ValidationResult failure in validatable.Validate(new ValidationContext(instance)))
            {
                SourceNode? at = null;
                foreach (string name in failure.MemberNames)
                {
                    at = Locate(name, properties, seen);
                    if (at is not null)
                    {
                        break;
                    }
                }
                at ??= anchor;
                if (at is null)
                {
                    errors.Add(new SourcePosition(1, 1), "$", failure.ErrorMessage ?? "config is not valid");
                }
                else
                {
                    errors.Add(at, failure.ErrorMessage ?? "config is not valid");
                }
            }
        }
        return instance;
    }

    /// <summary>
    /// The value a validation result's member name is about: a property (<c>Routes</c>), or a
    /// path into it (<c>Routes[2].Via</c>), followed as far as the file has it, so an error about
    /// one item of a list points at that item's key. Null when the file does not give the property.
    /// </summary>
    private static SourceNode? Locate(string memberName, PropertyInfo[] properties, Dictionary<PropertyInfo, SourceMember> seen)
    {
        string[] steps = memberName.Split('.');
        (string head, int? index) = Step(steps[0]);
        PropertyInfo? property = Array.Find(properties, p => p.Name == head);
        if (property is null || !seen.TryGetValue(property, out SourceMember? member))
        {
            return null;
        }
        SourceNode node = member.Value;
        for (int s = 0; ; s++)
        {
            if (index is int i)
            {
                if (node.Kind != SourceKind.Array || (uint)i >= (uint)node.Items.Count)
                {
                    return node;
                }
                node = node.Items[i];
            }
            if (s + 1 == steps.Length)
            {
                return node;
            }
            (string key, index) = Step(steps[s + 1]);
            SourceMember? next = node.Kind == SourceKind.Object ? node.Members.Find(m => Naming.Fold(m.Key) == Naming.Fold(key)) : null;
            if (next is null)
            {
                return node;
            }
            node = next.Value;
        }

        static (string Name, int? Index) Step(string step)
        {
            int bracket = step.IndexOf('[', StringComparison.Ordinal);
            return bracket > 0 && step.EndsWith(']') && int.TryParse(step.AsSpan(bracket + 1, step.Length - bracket - 2), NumberStyles.None,
                CultureInfo.InvariantCulture, out int index)
                ? (step[..bracket], index)
                : (step, null);
        }
    }

    private static bool TryConvert(Type type, SourceNode node, PropertyInfo? property, ErrorList errors, out object? value)
    {
        value = null;
        Type? underlying = Nullable.GetUnderlyingType(type);
        if (node.Kind == SourceKind.Null)
        {
            bool nullable = underlying is not null ||
                (!type.IsValueType && property is not null && s_nullability.Create(property).WriteState == NullabilityState.Nullable);
            if (nullable)
            {
                return true;
            }
            errors.Add(node, $"expected {Expected(type, property)}, found null");
            return false;
        }
        type = underlying ?? type;
        string expected = Expected(type, property);
        if (type == typeof(string))
        {
            if (node.Kind == SourceKind.String)
            {
                value = node.Text;
                return true;
            }
        }
        else if (type == typeof(bool))
        {
            if (node.Kind is SourceKind.True or SourceKind.False)
            {
                value = node.Kind == SourceKind.True;
                return true;
            }
        }
        else if (IntegerRange(type) is (decimal min, decimal max))
        {
            if (node.Kind == SourceKind.Number &&
                decimal.TryParse(node.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal d) &&
                decimal.Truncate(d) == d)
            {
                if (d >= min && d <= max)
                {
                    value = Convert.ChangeType(d, type, CultureInfo.InvariantCulture);
                    return true;
                }
                errors.Add(node, $"expected an integer from {min} to {max}, found {node.Describe()}");
                return false;
            }
        }
        else if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            if (node.Kind == SourceKind.Number && double.TryParse(node.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) &&
                double.IsFinite(d) && (type != typeof(float) || Math.Abs(d) <= float.MaxValue))
            {
                value = Convert.ChangeType(d, type, CultureInfo.InvariantCulture);
                return true;
            }
        }
        else if (type.IsEnum)
        {
            if (node.Kind == SourceKind.String)
            {
                foreach (string name in Enum.GetNames(type))
                {
                    if (Naming.Fold(name) == Naming.Fold(node.Text))
                    {
                        value = Enum.Parse(type, name);
                        return true;
                    }
                }
            }
        }
        else if (type == typeof(TimeSpan))
        {
            if (node.Kind == SourceKind.String && TimeSpan.TryParse(node.Text, CultureInfo.InvariantCulture, out TimeSpan span))
            {
                value = span;
                return true;
            }
        }
        else if (ElementType(type) is Type element)
        {
            if (node.Kind == SourceKind.Array)
            {
                var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
                bool ok = true;
                foreach (SourceNode item in node.Items)
                {
                    if (TryConvert(element, item, null, errors, out object? itemValue))
                    {
                        list.Add(itemValue);
                    }
                    else
                    {
                        ok = false;
                    }
                }
                if (!ok)
                {
                    return false;
                }
                if (type.IsArray)
                {
                    Array array = Array.CreateInstance(element, list.Count);
                    list.CopyTo(array, 0);
                    value = array;
                }
                else
                {
                    value = list;
                }
                return true;
            }
        }
        else if (DictionaryValueType(type) is Type valueType)
        {
            if (node.Kind == SourceKind.Object)
            {
                var dictionary = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(typeof(string), valueType))!;
                bool ok = true;
                foreach (SourceMember member in node.Members)
                {
                    if (dictionary.Contains(member.Key))
                    {
                        errors.Add(member.KeyPosition, member.Value.Path, $"key '{member.Key}' is given twice");
                        ok = false;
                    }
                    else if (TryConvert(valueType, member.Value, null, errors, out object? itemValue))
                    {
                        dictionary.Add(member.Key, itemValue);
                    }
                    else
                    {
                        ok = false;
                    }
                }
                value = dictionary;
                return ok;
            }
        }
        else if (type.IsClass && type.GetConstructor(Type.EmptyTypes) is not null)
        {
            if (node.Kind == SourceKind.Object)
            {
                value = BindObject(type, node, node, $"'{Naming.ToSnakeCase(property?.Name ?? type.Name)}'", errors);
                return true;
            }
        }
        else
        {
            errors.Add(node, $"config values of type {type.Name} are not supported by the graph-file binder");
            return false;
        }
        errors.Add(node, $"expected {expected}, found {node.Describe()}");
        return false;
    }

    private static string Expected(Type type, PropertyInfo? property)
    {
        Type? underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
        {
            return Expected(underlying, property) + " or null";
        }
        if (type == typeof(string))
        {
            return "a string";
        }
        if (type == typeof(bool))
        {
            return "true or false";
        }
        if (IntegerRange(type) is (decimal min, decimal max))
        {
            if (property?.GetCustomAttribute<RangeAttribute>() is { } range)
            {
                return $"an integer from {range.Minimum} to {range.Maximum}";
            }
            return type == typeof(long) || type == typeof(int) ? "an integer" : $"an integer from {min} to {max}";
        }
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            return property?.GetCustomAttribute<RangeAttribute>() is { } range ? $"a number from {range.Minimum} to {range.Maximum}" : "a number";
        }
        if (type.IsEnum)
        {
            return "one of " + string.Join(", ", Enum.GetNames(type).Select(n => $"\"{Naming.ToSnakeCase(n)}\""));
        }
        if (type == typeof(TimeSpan))
        {
            return "a duration string like \"00:00:05\" or \"00:00:00.250\"";
        }
        if (ElementType(type) is Type element)
        {
            return $"an array of {Plural(Expected(element, null))}";
        }
        if (DictionaryValueType(type) is Type valueType)
        {
            return $"an object whose values are {Plural(Expected(valueType, null))}";
        }
        return "an object";
    }

    private static string Plural(string expected) =>
        expected.StartsWith("an ", StringComparison.Ordinal) ? expected[3..] + " values" :
        expected.StartsWith("a ", StringComparison.Ordinal) ? expected[2..] + " values" : expected;

    private static (decimal Min, decimal Max)? IntegerRange(Type type) => type.IsEnum ? null : Type.GetTypeCode(type) switch
    {
        TypeCode.Byte => (byte.MinValue, byte.MaxValue),
        TypeCode.SByte => (sbyte.MinValue, sbyte.MaxValue),
        TypeCode.Int16 => (short.MinValue, short.MaxValue),
        TypeCode.UInt16 => (ushort.MinValue, ushort.MaxValue),
        TypeCode.Int32 => (int.MinValue, int.MaxValue),
        TypeCode.UInt32 => (uint.MinValue, uint.MaxValue),
        TypeCode.Int64 => (long.MinValue, long.MaxValue),
        TypeCode.UInt64 => (ulong.MinValue, ulong.MaxValue),
        _ => null,
    };

    private static Type? ElementType(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }
        if (type.IsGenericType)
        {
            Type definition = type.GetGenericTypeDefinition();
            if (definition == typeof(List<>) || definition == typeof(IReadOnlyList<>) || definition == typeof(IList<>) ||
                definition == typeof(IEnumerable<>) || definition == typeof(IReadOnlyCollection<>))
            {
                return type.GetGenericArguments()[0];
            }
        }
        return null;
    }

    private static Type? DictionaryValueType(Type type)
    {
        if (type.IsGenericType)
        {
            Type definition = type.GetGenericTypeDefinition();
            Type[] arguments = type.GetGenericArguments();
            if ((definition == typeof(Dictionary<,>) || definition == typeof(IReadOnlyDictionary<,>) || definition == typeof(IDictionary<,>)) &&
                arguments[0] == typeof(string))
            {
                return arguments[1];
            }
        }
        return null;
    }

    private static PropertyInfo[] Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.SetMethod!.IsPublic && p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
            .ToArray();

    private static bool IsRequired(PropertyInfo property) =>
        property.IsDefined(typeof(RequiredMemberAttribute)) || property.IsDefined(typeof(RequiredAttribute));

    private static string KeyList(PropertyInfo[] properties) =>
        properties.Length == 0 ? "(none: this stage type takes no config keys)" : string.Join(", ", properties.Select(p => Naming.ToSnakeCase(p.Name)));

    private static object? TryCreate(Type type)
    {
        try
        {
            // Options records with 'required' members still have a parameterless constructor;
            // Activator ignores the SetsRequiredMembers check, which is what binding wants.
            return Activator.CreateInstance(type);
        }
        catch (MissingMethodException)
        {
            return null;
        }
    }

    private static string? FormatDefault(object? value) => value switch
    {
        null => null,
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        Enum e => $"\"{Naming.ToSnakeCase(e.ToString())}\"",
        TimeSpan t => $"\"{t.ToString("c", CultureInfo.InvariantCulture)}\"",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable sequence => "[" + string.Join(", ", sequence.Cast<object?>().Select(FormatDefault)) + "]",
        _ => value.ToString(),
    };
}
