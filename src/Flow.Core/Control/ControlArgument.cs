namespace Flow;

/// <summary>
/// One argument a control command declares: its name (lower_snake, given as <c>--name value</c>
/// or, when <see cref="Positional"/>, by position after the command's words, as vppctl takes
/// them), the kind of value it takes, whether it is required, and a sentence of help. The
/// control endpoint maps positionals, refuses unknown, missing and malformed arguments against
/// the declaration, and <c>flow ctl help &lt;command&gt;</c> shows it — so a stage's verbs need
/// nothing in the CLI.
/// </summary>
public sealed class ControlArgument
{
    public ControlArgument(string name, string help, ControlValue? value = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(help);
        Name = name;
        Help = help;
        Value = value ?? ControlValue.Text;
    }

    public string Name { get; }

    /// <summary>One sentence: what the argument means and its default when it has one.</summary>
    public string Help { get; }

    public ControlValue Value { get; }

    /// <summary>The command is refused without it.</summary>
    public bool Required { get; init; }

    /// <summary>Also taken by position: the command's positional arguments in declaration order, each optionally by name too.</summary>
    public bool Positional { get; init; }

    /// <summary>The last positional, taking every remaining word joined by spaces (<c>help mac show</c>).</summary>
    public bool Rest { get; init; }

    /// <summary>How a usage line shows it: <c>&lt;mac&gt;</c>, <c>--vlan N</c>, <c>[--port name]</c>.</summary>
    public string Usage
    {
        get
        {
            string shown = Positional ? $"<{Name}{(Rest ? "..." : "")}>" : $"--{Name} {Value.Kind}";
            return Required ? shown : $"[{shown}]";
        }
    }
}
