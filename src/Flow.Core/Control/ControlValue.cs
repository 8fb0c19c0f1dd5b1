using System.Globalization;

namespace Flow;

/// <summary>
/// The kind of value a control argument takes: a short name shown in usage lines
/// (<c>N</c>, <c>mac</c>, <c>access|trunk</c>) and a check the control endpoint runs on the text
/// before the command does, so a bad value is refused with a sentence naming it whatever
/// command it was given to (BESS <c>CommandFailure(EINVAL, "Invalid IP Address: %s")</c>).
/// </summary>
public sealed class ControlValue
{
    private readonly Func<string, string, string?> _check;

    /// <param name="kind">What the value is, in a word or two, for usage lines.</param>
    /// <param name="check">Given the argument's name and its text, the sentence saying what is wrong with it, or null when it is fine.</param>
    public ControlValue(string kind, Func<string, string, string?> check)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(check);
        Kind = kind;
        _check = check;
    }

    /// <summary>Any text.</summary>
    public static ControlValue Text { get; } = new("text", static (_, _) => null);

    public string Kind { get; }

    /// <summary>Any text, shown in usage lines as <paramref name="kind"/> (<c>name</c>, <c>port</c>).</summary>
    public static ControlValue AnyText(string kind) => new(kind, static (_, _) => null);

    /// <summary>What is wrong with <paramref name="text"/> as the value of <paramref name="argument"/>, or null.</summary>
    public string? Check(string argument, string text) => _check(argument, text);

    /// <summary>A decimal integer in [<paramref name="min"/>, <paramref name="max"/>] (the messages of <see cref="ControlRequest.OptionalInteger"/>).</summary>
    public static ControlValue Integer(int min, int max, string kind = "N") => new(kind, (argument, text) =>
        !int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? $"{argument} '{text}' is not a number"
        : value < min || value > max ? $"{argument} {value} is out of range {min} to {max}"
        : null);

    /// <summary>One of a few words, matched exactly.</summary>
    public static ControlValue OneOf(params string[] choices)
    {
        ArgumentNullException.ThrowIfNull(choices);
        string[] words = [.. choices];
        return new(string.Join('|', words), (argument, text) =>
            Array.IndexOf(words, text) >= 0 ? null : $"{argument} '{text}' is not one of {string.Join(", ", words)}");
    }
}
