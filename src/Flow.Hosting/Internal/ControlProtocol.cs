using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Flow.Hosting.Internal;

/// <summary>
/// The control socket's wire format: one JSON object per line each way (docs/control.md).
/// <code>
/// → {"id": 1, "command": "mac show", "stage": "forward", "args": {"vlan": "10"}}
/// ← {"id": 1, "ok": true, "message": "...", "columns": ["mac", ...], "rows": [["02:...", ...]]}
/// ← {"id": 1, "ok": false, "error": "refused", "message": "no switch port is named 'x'; ..."}
/// </code>
/// <c>id</c> is optional and echoed as given; argument values may be strings, numbers or booleans
/// (they reach commands as text).
/// </summary>
internal static class ControlProtocol
{
    private static readonly JsonDocumentOptions s_options = new() { MaxDepth = 8 };

    // Replies are read by people through socat too: keep quotes and non-ASCII as they are
    // (the socket is local and owner-only; nothing here is embedded in HTML).
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public sealed record Request(string Command, string? Stage, Dictionary<string, string> Arguments, string? RawId);

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
            if (!root.TryGetProperty("command", out JsonElement command) || command.ValueKind != JsonValueKind.String ||
                string.IsNullOrWhiteSpace(command.GetString()))
            {
                error = "the request has no \"command\" string; expected an object such as {\"command\": \"stats\"}";
                return false;
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
            request = new Request(Normalize(command.GetString()!), stage, arguments, rawId);
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
                        writer.WriteStringValue(cell);
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

    public static byte[] Encode(string command, IReadOnlyDictionary<string, string>? arguments, string? stage, long id)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", id);
            writer.WriteString("command", command);
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
                rows.AddRange(r.EnumerateArray().Select(row => (IReadOnlyList<string>)row.EnumerateArray().Select(x => x.GetString() ?? "").ToList()));
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
