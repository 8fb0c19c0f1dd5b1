using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Flow.Hosting.Internal;

/// <summary>
/// The control socket's wire format: one JSON object per line each way (docs/control.md).
/// <code>
/// → {"id": 1, "command": "mac show", "stage": "forward", "args": {"vlan": "10"}}
/// → {"id": 2, "words": ["port", "set", "uplink", "trunk", "10,20"], "args": {"native": "10"}}
/// ← {"id": 1, "ok": true, "message": "...", "columns": ["mac", ...], "rows": [["02:...", ...]]}
/// ← {"id": 1, "ok": false, "error": "refused", "message": "no switch port is named 'x'; ..."}
/// </code>
/// A request names its command exactly (<c>command</c>) or gives the words as typed
/// (<c>words</c>, what <c>flow ctl</c> sends): the longest leading words that name a command
/// do, and the words after them are its positional arguments. <c>id</c> is optional and echoed
/// as given; argument values may be strings, numbers or booleans (they reach commands as text).
/// </summary>
internal static class ControlProtocol
{
    private static readonly JsonDocumentOptions s_options = new() { MaxDepth = 8 };

    // Replies are read by people through socat too: keep quotes and non-ASCII as they are
    // (the socket is local and owner-only; nothing here is embedded in HTML).
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A parsed request: <see cref="Command"/> (normalized) or <see cref="Words"/> (as given), never both.</summary>
    public sealed record Request(string? Command, IReadOnlyList<string>? Words, string? Stage, Dictionary<string, string> Arguments, string? RawId);

    /// <summary>Parses one request line; on failure <paramref name="error"/> says what is wrong and <paramref name="rawId"/> holds the id if one was readable.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> line, out Request? request, out string error, out string? rawId)
    {
        request = null;
        rawId = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line, s_options);
        }
        catch (JsonException e)
        {
            error = $"the request is not JSON: {e.Message}";
            return false;
        }
        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = $"the request is a JSON {root.ValueKind.ToString().ToLowerInvariant()}; expected an object such as {{\"command\": \"stats\"}}";
                return false;
            }
            if (root.TryGetProperty("id", out JsonElement id))
            {
                rawId = id.GetRawText();
            }
            string? name = null;
            List<string>? words = null;
            if (root.TryGetProperty("words", out JsonElement wordsElement))
            {
                if (root.TryGetProperty("command", out _))
                {
                    error = "the request has both \"command\" and \"words\"; give one";
                    return false;
                }
                if (wordsElement.ValueKind != JsonValueKind.Array || wordsElement.GetArrayLength() == 0 ||
                    wordsElement.EnumerateArray().Any(w => w.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(w.GetString())))
                {
                    error = "\"words\" must be an array of one or more non-empty strings, such as [\"mac\", \"show\"]";
                    return false;
                }
                words = wordsElement.EnumerateArray().Select(w => w.GetString()!).ToList();
            }
            else if (!root.TryGetProperty("command", out JsonElement command) || command.ValueKind != JsonValueKind.String ||
                string.IsNullOrWhiteSpace(command.GetString()))
            {
                error = "the request has no \"command\" string; expected an object such as {\"command\": \"stats\"}";
                return false;
            }
            else
            {
                name = Normalize(command.GetString()!);
            }
            string? stage = null;
            if (root.TryGetProperty("stage", out JsonElement stageElement) && stageElement.ValueKind != JsonValueKind.Null)
            {
                if (stageElement.ValueKind != JsonValueKind.String)
                {
                    error = "\"stage\" must be a string (a stage name)";
                    return false;
                }
                stage = stageElement.GetString();
            }
            var arguments = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("args", out JsonElement args) && args.ValueKind != JsonValueKind.Null)
            {
                if (args.ValueKind != JsonValueKind.Object)
                {
                    error = "\"args\" must be an object of name: value";
                    return false;
                }
                foreach (JsonProperty property in args.EnumerateObject())
                {
                    string? value = property.Value.ValueKind switch
                    {
                        JsonValueKind.String => property.Value.GetString(),
                        JsonValueKind.Number => property.Value.GetRawText(),
                        JsonValueKind.True => "true",
                        JsonValueKind.False => "false",
                        _ => null,
                    };
                    if (value is null)
                    {
                        error = $"argument '{property.Name}' is a JSON {property.Value.ValueKind.ToString().ToLowerInvariant()}; values are strings, numbers or booleans";
                        return false;
                    }
                    arguments[property.Name] = value;
                }
            }
            request = new Request(name, words, stage, arguments, rawId);
            error = "";
            return true;
        }
    }

    /// <summary>"  Mac   show " → "mac show".</summary>
    public static string Normalize(string command) =>
        string.Join(' ', command.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToLowerInvariant();

    public static byte[] Success(string? rawId, ControlReply reply)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            writer.WriteStartObject();
            WriteId(writer, rawId);
            writer.WriteBoolean("ok", true);
            if (reply.Message is not null)
            {
                writer.WriteString("message", reply.Message);
            }
            if (reply.Columns.Count > 0)
            {
                writer.WriteStartArray("columns");
                foreach (string column in reply.Columns)
                {
                    writer.WriteStringValue(column);
                }
                writer.WriteEndArray();
                writer.WriteStartArray("rows");
                foreach (IReadOnlyList<string> row in reply.Rows)
                {
                    writer.WriteStartArray();
                    foreach (string cell in row)
                    {
                        if (cell == ControlReply.Unknown)
                        {
                            writer.WriteNullValue();
                        }
                        else
                        {
                            writer.WriteStringValue(cell);
                        }
                    }
                    writer.WriteEndArray();
                }
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }
        return Line(buffer);
    }

    public static byte[] Failure(string? rawId, string error, string message)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            writer.WriteStartObject();
            WriteId(writer, rawId);
            writer.WriteBoolean("ok", false);
            writer.WriteString("error", error);
            writer.WriteString("message", message);
            writer.WriteEndObject();
        }
        return Line(buffer);
    }

    /// <summary>A request naming its command exactly (<paramref name="command"/>) or by the words as typed (<paramref name="words"/>).</summary>
    public static byte[] Encode(string? command, IReadOnlyList<string>? words, IReadOnlyDictionary<string, string>? arguments, string? stage, long id)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", id);
            if (words is not null)
            {
                writer.WriteStartArray("words");
                foreach (string word in words)
                {
                    writer.WriteStringValue(word);
                }
                writer.WriteEndArray();
            }
            else
            {
                writer.WriteString("command", command);
            }
            if (stage is not null)
            {
                writer.WriteString("stage", stage);
            }
            if (arguments is { Count: > 0 })
            {
                writer.WriteStartObject("args");
                foreach (KeyValuePair<string, string> argument in arguments)
                {
                    writer.WriteString(argument.Key, argument.Value);
                }
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        return Line(buffer);
    }

    public static ControlResponse ParseResponse(string line)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(line);
            JsonElement root = document.RootElement;
            bool ok = root.TryGetProperty("ok", out JsonElement okElement) && okElement.ValueKind == JsonValueKind.True;
            string? error = root.TryGetProperty("error", out JsonElement e) ? e.GetString() : null;
            string? message = root.TryGetProperty("message", out JsonElement m) ? m.GetString() : null;
            var columns = new List<string>();
            var rows = new List<IReadOnlyList<string>>();
            if (root.TryGetProperty("columns", out JsonElement c))
            {
                columns.AddRange(c.EnumerateArray().Select(x => x.GetString() ?? ""));
            }
            if (root.TryGetProperty("rows", out JsonElement r))
            {
                rows.AddRange(r.EnumerateArray().Select(row => (IReadOnlyList<string>)row.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Null ? ControlReply.Unknown : x.GetString() ?? "").ToList()));
            }
            return new ControlResponse(ok, ok ? null : error ?? ControlErrors.Failed, message, columns, rows, line);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new IOException($"the control endpoint answered something that is not a reply: {e.Message}", e);
        }
    }

    private static void WriteId(Utf8JsonWriter writer, string? rawId)
    {
        if (rawId is not null)
        {
            writer.WritePropertyName("id");
            writer.WriteRawValue(rawId, skipInputValidation: true);
        }
    }

    private static byte[] Line(ArrayBufferWriter<byte> buffer)
    {
        var line = new byte[buffer.WrittenCount + 1];
        buffer.WrittenSpan.CopyTo(line);
        line[^1] = (byte)'\n';
        return line;
    }

    public static string Count(long value) => value.ToString(CultureInfo.InvariantCulture);
}
