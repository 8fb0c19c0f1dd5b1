using System.Text;

namespace Flow.Internal;

/// <summary>
/// How Flow spells names users write: the one C# → lower_snake mapping for port and drop-reason
/// names, stage type names and config keys. Flow.Hosting compiles this file too (a linked source
/// file, the dotnet/runtime <c>Common/src</c> way) and adds its spelling helpers in a partial.
/// </summary>
internal static partial class Naming
{
    /// <summary>
    /// <c>ToHost</c> → <c>to_host</c>, <c>Ipv4</c> → <c>ipv4</c>, <c>TtlExpired</c> → <c>ttl_expired</c>,
    /// <c>FrameSize</c> → <c>frame_size</c>.
    /// </summary>
    public static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]) ||
                    (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1]))))
                {
                    builder.Append('_');
                }
                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }
}
