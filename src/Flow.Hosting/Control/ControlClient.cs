using System.Net.Sockets;
using System.Text;
using Flow.Hosting.Internal;

namespace Flow.Hosting;

/// <summary>
/// The client side of a <see cref="ControlEndpoint"/> (what <c>flow ctl</c> uses): one
/// connection, requests answered in order.
/// </summary>
public sealed class ControlClient : IAsyncDisposable, IDisposable
{
    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private long _nextId;

    private ControlClient(Socket socket)
    {
        _socket = socket;
        _reader = new StreamReader(new NetworkStream(socket, ownsSocket: false), new UTF8Encoding(false));
    }

    /// <summary>
    /// Connects to the endpoint at <paramref name="path"/>. Throws <see cref="ControlEndpointException"/>
    /// saying why when nothing listens there, or when the path is in
    /// <see cref="ControlEndpoint.DefaultDirectory"/> and that is not private to this user.
    /// </summary>
    public static async Task<ControlClient> ConnectAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (directory == Path.GetFullPath(ControlEndpoint.DefaultDirectory))
        {
            PrivateDirectory.Check(directory);
        }
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
            return new ControlClient(socket);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            string why = e.SocketErrorCode switch
            {
                _ when !File.Exists(path) => "it does not exist",
                SocketError.ConnectionRefused => "nobody answers there (the graph that made it has ended)",
                SocketError.AccessDenied => "permission denied (the socket is owner-only: run as the graph's user)",
                _ => e.Message,
            };
            throw new ControlEndpointException($"cannot reach the control socket '{path}': {why}", e);
        }
    }

    /// <summary>Sends one command and reads its reply.</summary>
    public async Task<ControlResponse> SendAsync(string command, IReadOnlyDictionary<string, string>? arguments = null, string? stage = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        byte[] request = ControlProtocol.Encode(command, null, arguments, stage, Interlocked.Increment(ref _nextId));
        string line = await SendLineAsync(request, cancellationToken).ConfigureAwait(false);
        return ControlProtocol.ParseResponse(line);
    }

    /// <summary>
    /// Sends words as typed (<c>["port", "set", "uplink", "trunk", "10,20"]</c>): the endpoint takes
    /// the longest leading words that name a command and maps the rest to its positional
    /// arguments, so a client needs to know no command (vppctl).
    /// </summary>
    public async Task<ControlResponse> SendWordsAsync(IReadOnlyList<string> words, IReadOnlyDictionary<string, string>? arguments = null, string? stage = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentOutOfRangeException.ThrowIfZero(words.Count);
        byte[] request = ControlProtocol.Encode(null, words, arguments, stage, Interlocked.Increment(ref _nextId));
        string line = await SendLineAsync(request, cancellationToken).ConfigureAwait(false);
        return ControlProtocol.ParseResponse(line);
    }

    /// <summary>Sends raw bytes (a request line, or anything else) and returns the reply line as text.</summary>
    public async Task<string> SendLineAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        await _socket.SendAsync(bytes, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        string? line = await _reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        return line ?? throw new IOException("the control endpoint closed the connection without a reply");
    }

    /// <summary>Connects, sends one command, returns its reply, disconnects.</summary>
    public static async Task<ControlResponse> SendAsync(string path, string command, IReadOnlyDictionary<string, string>? arguments = null,
        string? stage = null, CancellationToken cancellationToken = default)
    {
        await using ControlClient client = await ConnectAsync(path, cancellationToken).ConfigureAwait(false);
        return await client.SendAsync(command, arguments, stage, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _reader.Dispose();
        _socket.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
