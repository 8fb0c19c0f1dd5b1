using System.Text;
using System.Text.RegularExpressions;
using Flow.Internal;

namespace Flow.Hosting.Internal;

/// <summary>
/// A graph file's <c>parameters</c>: named JSON values, referenced from any string in the file
/// as <c>"${name}"</c> (the whole string: replaced by the value, of any JSON kind — an array of
/// ports, an object of options) or inside text (<c>"flow-${suffix}"</c>: a string, number or
/// boolean value is spliced in). <c>${a.b}</c> reaches into an object parameter; parameters may
/// refer to each other (not in a cycle); <c>$${</c> writes a literal <c>${</c>. Overrides
/// (<c>flow run --set p1.backend=memif</c>) replace a declared parameter, or a key inside one,
/// before anything is substituted. Every problem is an error at the reference or the
/// override; substitution runs before the rest of the loader, which then sees plain JSON.
/// </summary>
/// <remarks>
/// Every whole-string reference copies its value and every text reference concatenates, so ten
/// lines of parameters can describe 10⁹ values or a GiB of text ("billion laughs"). Expansion
/// therefore has a budget — <see cref="MaxExpandedNodes"/> values copied and
/// <see cref="MaxExpandedChars"/> characters of text produced over the whole file — and the
/// reference that would exceed it is the error, before the copy or the text is made.
/// </remarks>
internal static partial class GraphParameters
{
    public const string Key = "parameters";

    /// <summary>JSON values all references together may copy: far above any real graph (a switch with 4094 VLANs on 64 ports is ~300 k).</summary>
    public const int MaxExpandedNodes = 1 << 20;

    /// <summary>Characters all text references together may produce (16 Mi chars, 32 MiB of UTF-16).</summary>
    public const int MaxExpandedChars = 16 << 20;

    /// <summary>Applies <paramref name="overrides"/>, then substitutes references in <paramref name="root"/> in place.</summary>
    public static void Apply(SourceNode root, IReadOnlyDictionary<string, string>? overrides, ErrorList errors)
    {
        SourceNode? declaredNode = root[Key];
        if (declaredNode is not null && declaredNode.Kind != SourceKind.Object)
        {
            errors.Add(declaredNode, $"expected an object naming each parameter, like \"parameters\": {{\"backend\": \"af_packet\"}}, found {declaredNode.Describe()}");
            declaredNode = null;
        }
        var declared = new Dictionary<string, SourceNode>(StringComparer.Ordinal);
        if (declaredNode is not null)
        {
            var first = new Dictionary<string, SourcePosition>(StringComparer.Ordinal);
            foreach (SourceMember member in declaredNode.Members)
            {
                if (!NamePattern().IsMatch(member.Key))
                {
                    errors.Add(member.KeyPosition, member.Value.Path,
                        $"parameter name '{member.Key}' is not valid: expected letters, digits, '_' or '-', starting with a letter or '_'");
                }
                else if (!first.TryAdd(member.Key, member.KeyPosition))
                {
                    errors.Add(member.KeyPosition, member.Value.Path, $"parameter '{member.Key}' is declared twice (first at {first[member.Key]})");
                }
            }
        }
        if (overrides is { Count: > 0 })
        {
            foreach ((string name, string value) in overrides)
            {
                ApplyOverride(root, declaredNode, name, value, errors);
            }
        }
        if (declaredNode is not null)
        {
            foreach (SourceMember member in declaredNode.Members)
            {
                declared.TryAdd(member.Key, member.Value);
            }
        }

        var resolver = new Resolver(declared, errors);
        for (int i = 0; i < root.Members.Count; i++)
        {
            SourceMember member = root.Members[i];
            if (member.Key != Key)
            {
                root.Members[i] = member with { Value = resolver.Substitute(member.Value) };
            }
        }
        // Parameters nobody references are still checked (a typo in one is an error now, not
        // when someone first uses it).
        foreach (string name in declared.Keys)
        {
            resolver.Resolve(name);
        }
    }

    private static void ApplyOverride(SourceNode root, SourceNode? declaredNode, string name, string value, ErrorList errors)
    {
        SourceNode anchor = declaredNode ?? root;
        string[] segments = name.Split('.');
        if (segments.Any(s => s.Length == 0))
        {
            errors.Add(anchor, $"override '{name}={value}': expected a parameter name like 'backend' or 'p1.interface'");
            return;
        }
        SourceNode? parent = declaredNode;
        SourceMember? top = declaredNode?.Members.FirstOrDefault(m => m.Key == segments[0]);
        if (top is null)
        {
            IEnumerable<string> names = declaredNode?.Members.Select(m => m.Key) ?? [];
            string? near = Naming.Nearest(segments[0], names);
            errors.Add(anchor, $"override '{name}={value}': no parameter '{segments[0]}' is declared" +
                (near is null ? "" : $" (did you mean '{near}'?)") +
                (declaredNode is null || declaredNode.Members.Count == 0 ? "; this file declares no 'parameters'" : $"; declared: {string.Join(", ", names)}"));
            return;
        }
        for (int i = 1; i < segments.Length; i++)
        {
            SourceNode? next = i == 1 ? top.Value : parent![segments[i - 1]];
            if (next is null)
            {
                errors.Add(parent!, $"override '{name}={value}': parameter '{string.Join('.', segments[..(i - 1)])}' has no key '{segments[i - 1]}'; " +
                    $"its keys: {string.Join(", ", parent!.Members.Select(m => m.Key))}");
                return;
            }
            if (next.Kind != SourceKind.Object)
            {
                errors.Add(next, $"override '{name}={value}': parameter '{string.Join('.', segments[..i])}' is {next.Describe()}, not an object with keys");
                return;
            }
            parent = next;
        }
        int index = parent!.Members.FindIndex(m => m.Key == segments[^1]);
        SourcePosition position = index >= 0 ? parent.Members[index].Value.Position : parent.Position;
        string path = SourceNode.ChildPath(parent.Path, segments[^1]);
        SourceNode parsed = ParseValue(value, path, position);
        if (index >= 0)
        {
            parent.Members[index] = parent.Members[index] with { Value = parsed };
        }
        else
        {
            parent.Members.Add(new SourceMember(segments[^1], position, parsed));
        }
    }

    /// <summary>A command-line value: JSON when it parses as JSON (42, true, [10, 20], {"a": 1}, "quoted"), else the text as a string.</summary>
    private static SourceNode ParseValue(string value, string path, SourcePosition position)
    {
        try
        {
            return SourceNode.Parse(Encoding.UTF8.GetBytes(value)).CopyAt(path, position);
        }
        catch (SourceSyntaxException)
        {
            return SourceNode.String(value, position, path);
        }
    }



    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_\-]*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^\$\{([^{}]*)\}$")]
    private static partial Regex WholeReference();

    [GeneratedRegex(@"\$\$\{|\$\{([^{}]*)\}")]
    private static partial Regex Reference();

    /// <summary>Values in <paramref name="node"/> (itself included), counting no further than <paramref name="limit"/>.</summary>
    private static int CountNodes(SourceNode node, int limit)
    {
        int count = 1;
        foreach (SourceMember member in node.Members)
        {
            if (count > limit)
            {
                break;
            }
            count += CountNodes(member.Value, limit - count);
        }
        foreach (SourceNode item in node.Items)
        {
            if (count > limit)
            {
                break;
            }
            count += CountNodes(item, limit - count);
        }
        return count;
    }

    private sealed class Resolver(Dictionary<string, SourceNode> declared, ErrorList errors)
    {
        private readonly Dictionary<string, SourceNode?> _resolved = new(StringComparer.Ordinal);
        private readonly List<string> _resolving = [];
        private int _nodesLeft = MaxExpandedNodes;
        private int _charsLeft = MaxExpandedChars;

        // Set at the first reference over budget: one error, and no more expansion work after it.
        private bool _overBudget;

        /// <summary>Replaces references below <paramref name="node"/> (in place for objects and arrays); returns the node to use.</summary>
        public SourceNode Substitute(SourceNode node)
        {
            if (_overBudget)
            {
                return node;
            }
            switch (node.Kind)
            {
                case SourceKind.Object:
                    for (int i = 0; i < node.Members.Count; i++)
                    {
                        node.Members[i] = node.Members[i] with { Value = Substitute(node.Members[i].Value) };
                    }
                    return node;
                case SourceKind.Array:
                    for (int i = 0; i < node.Items.Count; i++)
                    {
                        node.Items[i] = Substitute(node.Items[i]);
                    }
                    return node;
                case SourceKind.String when node.Text.Contains('$', StringComparison.Ordinal):
                    return Expand(node);
                default:
                    return node;
            }
        }

        /// <summary>The value of top-level parameter <paramref name="name"/> with its own references replaced; null after an error.</summary>
        public SourceNode? Resolve(string name, SourceNode? site = null)
        {
            if (_resolved.TryGetValue(name, out SourceNode? done))
            {
                return done;
            }
            if (_resolving.Contains(name))
            {
                errors.Add(site ?? declared[name], $"parameter '{name}' refers to itself: {string.Join(" -> ", _resolving.SkipWhile(n => n != name))} -> {name}");
                return null;
            }
            _resolving.Add(name);
            int before = errors.Count;
            SourceNode value = Substitute(declared[name]);
            _resolving.RemoveAt(_resolving.Count - 1);
            SourceNode? result = errors.Count == before ? value : null;
            _resolved[name] = result;
            return result;
        }

        private SourceNode Expand(SourceNode node)
        {
            Match whole = WholeReference().Match(node.Text);
            if (whole.Success)
            {
                SourceNode? value = Lookup(whole.Groups[1].Value, node);
                if (value is null || !Spend(node, CountNodes(value, _nodesLeft), 0))
                {
                    return node;
                }
                return value.CopyAt(node.Path);
            }
            if (!node.Text.Contains("${", StringComparison.Ordinal))
            {
                return node;
            }
            var text = new StringBuilder(node.Text.Length);
            int at = 0;
            foreach (Match reference in Reference().Matches(node.Text))
            {
                text.Append(node.Text, at, reference.Index - at);
                at = reference.Index + reference.Length;
                if (!reference.Groups[1].Success)
                {
                    text.Append("${");
                    continue;
                }
                string name = reference.Groups[1].Value;
                SourceNode? value = Lookup(name, node);
                switch (value?.Kind)
                {
                    case null:
                        break;
                    case SourceKind.String or SourceKind.Number:
                        if (!Spend(node, 0, value.Text.Length))
                        {
                            return node;
                        }
                        text.Append(value.Text);
                        break;
                    case SourceKind.True or SourceKind.False:
                        text.Append(value.Kind == SourceKind.True ? "true" : "false");
                        break;
                    default:
                        errors.Add(node, $"parameter '{name}' is {value.Describe()}; only a string that is nothing but \"${{{name}}}\" can take its value (text can splice in strings, numbers and booleans)");
                        break;
                }
            }
            text.Append(node.Text, at, node.Text.Length - at);
            return SourceNode.String(text.ToString(), node.Position, node.Path);
        }

        /// <summary>Takes <paramref name="nodes"/> values and <paramref name="chars"/> characters from the budget; false (and the error at <paramref name="site"/>) when it would run out.</summary>
        private bool Spend(SourceNode site, int nodes, int chars)
        {
            if (nodes > _nodesLeft || chars > _charsLeft)
            {
                _overBudget = true;
                errors.Add(site, nodes > _nodesLeft
                    ? $"parameter expansion exceeds {MaxExpandedNodes} JSON values at \"{site.Text}\"; parameters that copy each other this often are not a graph (billion laughs?)"
                    : $"parameter expansion exceeds {MaxExpandedChars / (1 << 20)} Mi characters of text at \"{site.Text}\"; parameters that splice each other this often are not a graph (billion laughs?)");
                return false;
            }
            _nodesLeft -= nodes;
            _charsLeft -= chars;
            return true;
        }

        private SourceNode? Lookup(string reference, SourceNode site)
        {
            string[] segments = reference.Split('.');
            if (!declared.ContainsKey(segments[0]))
            {
                string? near = Naming.Nearest(segments[0], declared.Keys);
                errors.Add(site, $"unknown parameter '{segments[0]}' in \"{site.Text}\"" + (near is null ? "" : $" (did you mean '{near}'?)") +
                    (declared.Count == 0 ? "; this file declares no 'parameters'" : $"; declared: {string.Join(", ", declared.Keys)}"));
                return null;
            }
            SourceNode? value = Resolve(segments[0], site);
            for (int i = 1; value is not null && i < segments.Length; i++)
            {
                SourceNode? next = value.Kind == SourceKind.Object ? value[segments[i]] : null;
                if (next is null)
                {
                    string owner = string.Join('.', segments[..i]);
                    errors.Add(site, value.Kind == SourceKind.Object
                        ? $"parameter '{owner}' has no key '{segments[i]}'; its keys: {string.Join(", ", value.Members.Select(m => m.Key))}"
                        : $"parameter '{owner}' is {value.Describe()}, not an object with key '{segments[i]}'");
                    return null;
                }
                value = next;
            }
            return value;
        }
    }
}
