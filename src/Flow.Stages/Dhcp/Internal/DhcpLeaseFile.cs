using System.Globalization;
using System.Net;
using System.Text.Json;
using Flow.Protocols.Ethernet;

namespace Flow.Stages.Dhcp.Internal;

/// <summary>
/// The lease file of a DHCP server (<see cref="DhcpServerOptions.LeaseFile"/>): JSON, one entry
/// per address that is bound or remembers its last client, with the lease's end in UTC, so a
/// restarted server keeps both its leases (RFC 2131 4.3.1 "MUST NOT reuse" an address whose lease
/// has not ended) and the previous bindings it prefers to hand back. A DHCP client's
/// (<see cref="DhcpClientOptions.LeaseFile"/>) holds its one lease, or none.
/// </summary>
/// <remarks>
/// The worker never touches the file system (STYLE D9): it hands a snapshot to
/// <see cref="Post"/>, and a thread-pool item writes the newest snapshot to a temporary file
/// and renames it over the old one, so a crash mid-write leaves the previous file whole.
/// </remarks>
internal sealed class DhcpLeaseFile
{
    private readonly string _path;
    private List<Record>? _pending;
    private int _writing;
    private long _writes;
    private long _failures;
    private string? _lastError;

    public DhcpLeaseFile(string path) => _path = path;

    public string Path => _path;

    public long Writes => Volatile.Read(ref _writes);

    public long Failures => Volatile.Read(ref _failures);

    public string? LastError => Volatile.Read(ref _lastError);

    /// <summary>One line of the file: an address, its client, and until when it is bound (null: not bound, only remembered).</summary>
    public sealed record Record(uint Address, byte[] Client, MacAddress Mac, string? HostName, DateTimeOffset? BoundUntil);

    /// <summary>Queues <paramref name="records"/> to be written; only the newest queued snapshot is written.</summary>
    public void Post(List<Record> records)
    {
        Volatile.Write(ref _pending, records);
        if (Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static file => file.Drain(), this, preferLocal: false);
        }
    }

    /// <summary>Writes <paramref name="records"/> now, after any write in progress (a graceful stop).</summary>
    public void Flush(List<Record> records)
    {
        var wait = new SpinWait();
        while (Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
        {
            wait.SpinOnce();
        }
        Volatile.Write(ref _pending, null);
        Write(records);
        Volatile.Write(ref _writing, 0);
    }

    private void Drain()
    {
        while (true)
        {
            if (Interlocked.Exchange(ref _pending, null) is { } records)
            {
                Write(records);
            }
            Volatile.Write(ref _writing, 0);
            // A snapshot posted after the exchange above but before the flag cleared found the
            // writer busy and did not queue one: take it up here.
            if (Volatile.Read(ref _pending) is null || Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
            {
                return;
            }
        }
    }

    private void Write(List<Record> records)
    {
        try
        {
            string temporary = _path + ".tmp";
            using (FileStream stream = File.Create(temporary))
            using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                writer.WriteStartObject();
                writer.WriteStartArray("leases");
                foreach (Record record in records)
                {
                    writer.WriteStartObject();
                    writer.WriteString("address", new IPAddress(BitConverter.GetBytes(IPAddress.HostToNetworkOrder((int)record.Address))).ToString());
                    writer.WriteString("mac", record.Mac.ToString());
                    writer.WriteString("client_id", Convert.ToHexString(record.Client).ToLowerInvariant());
                    if (record.HostName is not null)
                    {
                        writer.WriteString("host_name", record.HostName);
                    }
                    if (record.BoundUntil is { } until)
                    {
                        writer.WriteString("bound_until", until.ToString("O", CultureInfo.InvariantCulture));
                    }
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            File.Move(temporary, _path, overwrite: true);
            Interlocked.Increment(ref _writes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Interlocked.Increment(ref _failures);
            Volatile.Write(ref _lastError, e.Message);
        }
    }

    /// <summary>The records in the file; none when it does not exist yet. Throws <see cref="Ipv4.RouterConfigurationException"/> for a file that is not a lease file.</summary>
    public List<Record> Read()
    {
        var records = new List<Record>();
        if (!File.Exists(_path))
        {
            return records;
        }
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(_path));
            foreach (JsonElement entry in document.RootElement.GetProperty("leases").EnumerateArray())
            {
                byte[] address = IPAddress.Parse(entry.GetProperty("address").GetString()!).GetAddressBytes();
                MacAddress.TryParse(entry.GetProperty("mac").GetString(), out MacAddress mac);
                DateTimeOffset? until = entry.TryGetProperty("bound_until", out JsonElement u)
                    ? DateTimeOffset.Parse(u.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
                    : null;
                records.Add(new Record((uint)address[0] << 24 | (uint)address[1] << 16 | (uint)address[2] << 8 | address[3],
                    Convert.FromHexString(entry.GetProperty("client_id").GetString()!), mac,
                    entry.TryGetProperty("host_name", out JsonElement h) ? h.GetString() : null, until));
            }
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException or IOException)
        {
            throw new Ipv4.RouterConfigurationException($"lease file '{_path}' is not a DHCP lease file Flow wrote: {e.Message}");
        }
        return records;
    }
}
