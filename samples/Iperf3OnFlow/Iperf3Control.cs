using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;

namespace Flow.Samples.Iperf3OnFlow;

/// <summary>
/// What crosses iperf3's control connection (TCP, the server's port): the client's cookie, state
/// bytes (<see cref="Iperf3State"/>) and JSON messages — the client's parameters and both sides'
/// results — each after its length as a 4-byte big-endian number.
/// </summary>
public static class Iperf3Control
{
    /// <summary>
    /// The cookie a client sends first on every connection of a test (the control one and each TCP
    /// data stream): 36 characters and a NUL, so the server tells which test a connection joins.
    /// </summary>
    public const int CookieLength = 37;

    /// <summary>iperf3's i_errno for "not implemented yet" (iperf_api.h IEUNIMP).</summary>
    public const int NotImplementedError = 13;

    /// <summary>iperf3's i_errno for a UDP block size out of range (iperf_api.h IEUDPBLOCKSIZE).</summary>
    public const int UdpBlockSizeError = 20;

    // iperf3 caps its own JSON messages well below this; a larger length is a broken peer, not a test.
    private const int MaxJsonLength = 1 << 20;

    public static async ValueTask<byte[]> ReadCookieAsync(Stream control, CancellationToken cancellationToken)
    {
        byte[] cookie = new byte[CookieLength];
        await control.ReadExactlyAsync(cookie, cancellationToken).ConfigureAwait(false);
        return cookie;
    }

    public static async ValueTask<Iperf3State> ReadStateAsync(Stream control, CancellationToken cancellationToken)
    {
        byte[] state = new byte[1];
        await control.ReadExactlyAsync(state, cancellationToken).ConfigureAwait(false);
        return (Iperf3State)(sbyte)state[0];
    }

    public static ValueTask WriteStateAsync(Stream control, Iperf3State state, CancellationToken cancellationToken) =>
        control.WriteAsync(new[] { (byte)(sbyte)state }, cancellationToken);

    /// <summary>Refuses a test: <see cref="Iperf3State.ServerError"/>, then iperf3's error code and an errno of 0; the client prints the code's message.</summary>
    public static ValueTask WriteServerErrorAsync(Stream control, int iperfError, CancellationToken cancellationToken)
    {
        byte[] message = new byte[9];
        message[0] = unchecked((byte)(sbyte)Iperf3State.ServerError);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), iperfError);
        return control.WriteAsync(message, cancellationToken);
    }

    public static async ValueTask<JsonDocument> ReadJsonAsync(Stream control, CancellationToken cancellationToken)
    {
        byte[] prefix = new byte[4];
        await control.ReadExactlyAsync(prefix, cancellationToken).ConfigureAwait(false);
        int length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if ((uint)length > MaxJsonLength)
        {
            throw new InvalidDataException($"the peer announced a JSON message of {length} bytes; at most {MaxJsonLength} are expected");
        }
        byte[] json = new byte[length];
        await control.ReadExactlyAsync(json, cancellationToken).ConfigureAwait(false);
        return JsonDocument.Parse(json);
    }

    /// <summary>Writes what <paramref name="write"/> puts in one JSON object, after its length.</summary>
    public static async ValueTask WriteJsonAsync(Stream control, Action<Utf8JsonWriter> write, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.GetSpan(4);
        buffer.Advance(4);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }
        byte[] message = buffer.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(message, message.Length - 4);
        await control.WriteAsync(message, cancellationToken).ConfigureAwait(false);
    }
}
