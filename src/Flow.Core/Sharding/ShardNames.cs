namespace Flow;

/// <summary>
/// How the stages of a sharded graph are named: shard <c>s</c>'s copy of stage <c>name</c> is
/// <c>name@s</c> (a graph file's stage names cannot hold '@', so a copy never meets a declared
/// name). A graph of one shard keeps the declared names.
/// </summary>
public static class ShardNames
{
    public const char Separator = '@';

    /// <summary>The name of shard <paramref name="shard"/>'s copy of <paramref name="name"/>.</summary>
    public static string Of(string name, int shard) => $"{name}{Separator}{shard.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>The declared name and shard of a placed stage's name; the shard is null for a stage of an unsharded graph.</summary>
    public static (string Name, int? Shard) Split(string stageName)
    {
        ArgumentNullException.ThrowIfNull(stageName);
        int at = stageName.LastIndexOf(Separator);
        if (at > 0 && int.TryParse(stageName.AsSpan(at + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int shard))
        {
            return (stageName[..at], shard);
        }
        return (stageName, null);
    }

    /// <summary>Whether <paramref name="stageName"/> is <paramref name="name"/> or one shard's copy of it.</summary>
    public static bool Matches(string stageName, string name) => stageName == name || Split(stageName).Name == name;
}
