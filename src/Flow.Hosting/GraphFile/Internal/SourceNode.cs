using System.Text;
using System.Text.Json;

namespace Flow.Hosting.Internal;

internal enum SourceKind
{
    Object,
    Array,
    String,
    Number,
    True,
    False,
    Null,
}

/// <summary>
/// A JSON value with the line:column where it starts and its JSON path: what
/// <see cref="JsonDocument"/> does not keep. Objects keep their members in file order,
/// duplicates included (the loader reports them).
/// </summary>
internal sealed class SourceNode
{
    private SourceNode(SourceKind kind, SourcePosition position, string path)
    {
        Kind = kind;
        Position = position;
        Path = path;
    }

    public SourceKind Kind { get; }

    public SourcePosition Position { get; }

    public string Path { get; }

    /// <summary>String value, or the number's text as written.</summary>
    public string Text { get; private set; } = "";

    public List<SourceMember> Members { get; } = [];

    public List<SourceNode> Items { get; } = [];

    public SourceNode? this[string key]
    {
        get
        {
            foreach (SourceMember member in Members)
            {
                if (member.Key == key)
                {
                    return member.Value;
                }
            }
            return null;
        }
    }

    /// <summary>How a value of this kind is named in "found …" messages.</summary>
    public string Describe() => Kind switch
    {
        SourceKind.Object => "an object",
        SourceKind.Array => "an array",
        SourceKind.String => $"the string \"{Text}\"",
        SourceKind.Number => $"the number {Text}",
        SourceKind.True => "true",
        SourceKind.False => "false",
        _ => "null",
    };

    /// <summary>A string value made by the loader (a parameter substituted into text), at <paramref name="position"/>.</summary>
    public static SourceNode String(string text, SourcePosition position, string path) =>
        new(SourceKind.String, position, path) { Text = text };

    /// <summary>An empty object made by the loader (a port's config assembled from a parameter); members are added by the caller.</summary>
    public static SourceNode Object(SourcePosition position, string path) => new(SourceKind.Object, position, path);

    /// <summary>
    /// A deep copy with <paramref name="path"/> (and paths below it) as its JSON path, at the same
    /// positions or, when given, all at <paramref name="position"/> (a value from the command line).
    /// </summary>
    public SourceNode CopyAt(string path, SourcePosition? position = null)
    {
        var copy = new SourceNode(Kind, position ?? Position, path) { Text = Text };
        foreach (SourceMember member in Members)
        {
            copy.Members.Add(new SourceMember(member.Key, position ?? member.KeyPosition, member.Value.CopyAt(ChildPath(path, member.Key), position)));
        }
        for (int i = 0; i < Items.Count; i++)
        {
            copy.Items.Add(Items[i].CopyAt($"{path}[{i}]", position));
        }
        return copy;
    }

    /// <summary>
    /// The value as compact JSON, members in file order and numbers as written: two configs
    /// are the same config when their canonical texts are equal (what a reload compares).
    /// </summary>
    public string Canonical()
    {
        var text = new StringBuilder();
        AppendCanonical(text);
        return text.ToString();
    }

    private void AppendCanonical(StringBuilder text)
    {
        switch (Kind)
        {
            case SourceKind.Object:
                text.Append('{');
                for (int i = 0; i < Members.Count; i++)
                {
                    text.Append(i == 0 ? "" : ",").Append(JsonSerializer.Serialize(Members[i].Key)).Append(':');
                    Members[i].Value.AppendCanonical(text);
                }
                text.Append('}');
                break;
            case SourceKind.Array:
                text.Append('[');
                for (int i = 0; i < Items.Count; i++)
                {
                    text.Append(i == 0 ? "" : ",");
                    Items[i].AppendCanonical(text);
                }
                text.Append(']');
                break;
            case SourceKind.String:
                text.Append(JsonSerializer.Serialize(Text));
                break;
            case SourceKind.Number:
                text.Append(Text);
                break;
            default:
                text.Append(Kind == SourceKind.True ? "true" : Kind == SourceKind.False ? "false" : "null");
                break;
        }
    }

    public static string ChildPath(string parent, string key) =>
        IsIdentifier(key) ? $"{parent}.{key}" : $"{parent}['{key.Replace("'", "\\'")}']";

    /// <summary>Parses UTF-8 JSON with comments and trailing commas; throws <see cref="SourceSyntaxException"/> on bad syntax.</summary>
    public static SourceNode Parse(ReadOnlySpan<byte> utf8)
    {
        if (utf8.StartsWith("\uFEFF"u8))
        {
            utf8 = utf8[3..];
        }
        var lines = new LineMap(utf8);
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            MaxDepth = 64,
        });
        try
        {
            if (!reader.Read())
            {
                throw new SourceSyntaxException(new SourcePosition(1, 1), "the file is empty; expected a JSON object");
            }
            SourceNode root = ReadValue(ref reader, lines, "$");
            if (reader.Read())
            {
                throw new SourceSyntaxException(lines.PositionOf(reader.TokenStartIndex),
                    "unexpected content after the end of the top-level value");
            }
            return root;
        }
        catch (JsonException e)
        {
            int line = (int)(e.LineNumber ?? 0) + 1;
            long byteInLine = e.BytePositionInLine ?? 0;
            throw new SourceSyntaxException(lines.PositionOfLineByte(line, byteInLine), "invalid JSON: " + StripPosition(e.Message));
        }
    }

    private static SourceNode ReadValue(ref Utf8JsonReader reader, LineMap lines, string path)
    {
        SourcePosition position = lines.PositionOf(reader.TokenStartIndex);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
            {
                var node = new SourceNode(SourceKind.Object, position, path);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    string key = reader.GetString()!;
                    SourcePosition keyPosition = lines.PositionOf(reader.TokenStartIndex);
                    reader.Read();
                    SourceNode value = ReadValue(ref reader, lines, ChildPath(path, key));
                    node.Members.Add(new SourceMember(key, keyPosition, value));
                }
                return node;
            }
            case JsonTokenType.StartArray:
            {
                var node = new SourceNode(SourceKind.Array, position, path);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    node.Items.Add(ReadValue(ref reader, lines, $"{path}[{node.Items.Count}]"));
                }
                return node;
            }
            case JsonTokenType.String:
                return new SourceNode(SourceKind.String, position, path) { Text = reader.GetString()! };
            case JsonTokenType.Number:
                return new SourceNode(SourceKind.Number, position, path) { Text = Encoding.UTF8.GetString(reader.ValueSpan) };
            case JsonTokenType.True:
                return new SourceNode(SourceKind.True, position, path);
            case JsonTokenType.False:
                return new SourceNode(SourceKind.False, position, path);
            default:
                return new SourceNode(SourceKind.Null, position, path);
        }
    }

    private static bool IsIdentifier(string key)
    {
        if (key.Length == 0 || char.IsDigit(key[0]))
        {
            return false;
        }
        foreach (char c in key)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>System.Text.Json appends " LineNumber: 3 | BytePositionInLine: 4." — we print our own position.</summary>
    private static string StripPosition(string message)
    {
        int at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (at >= 0 ? message[..at] : message).TrimEnd();
    }

    /// <summary>Byte offsets to 1-based line and character column.</summary>
    private sealed class LineMap
    {
        private readonly List<int> _starts = [0];
        private readonly byte[] _text;

        public LineMap(ReadOnlySpan<byte> utf8)
        {
            _text = utf8.ToArray();
            for (int i = 0; i < utf8.Length; i++)
            {
                if (utf8[i] == (byte)'\n')
                {
                    _starts.Add(i + 1);
                }
            }
        }

        public SourcePosition PositionOf(long offset)
        {
            int index = _starts.BinarySearch((int)offset);
            int line = index >= 0 ? index : ~index - 1;
            return new SourcePosition(line + 1, Column(_starts[line], (int)offset));
        }

        public SourcePosition PositionOfLineByte(int line, long byteInLine)
        {
            line = Math.Clamp(line, 1, _starts.Count);
            int start = _starts[line - 1];
            return new SourcePosition(line, Column(start, (int)Math.Min(start + byteInLine, _text.Length)));
        }

        /// <summary>Characters, not bytes: UTF-8 continuation bytes do not start a column.</summary>
        private int Column(int lineStart, int offset)
        {
            int column = 1;
            for (int i = lineStart; i < offset && i < _text.Length; i++)
            {
                if ((_text[i] & 0xC0) != 0x80)
                {
                    column++;
                }
            }
            return column;
        }
    }
}

/// <summary>An object member: key, where the key is written, and the value.</summary>
internal sealed record SourceMember(string Key, SourcePosition KeyPosition, SourceNode Value);

/// <summary>The file is not well-formed JSON.</summary>
internal sealed class SourceSyntaxException(SourcePosition position, string message) : Exception(message)
{
    public SourcePosition Position { get; } = position;
}
