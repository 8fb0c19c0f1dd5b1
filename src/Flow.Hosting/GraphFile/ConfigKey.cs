namespace Flow.Hosting;

/// <summary>
/// One key a stage type's <c>config</c> accepts: its snake_case name, what value it takes, its
/// default, and whether it must be given. What <c>flow stages</c> lists.
/// </summary>
public sealed record ConfigKey(string Name, string Expected, string? Default, bool Required, string? Description);
