using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Flow.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flow.Hosting;

/// <summary>
/// A running graph's control socket, like VPP's cli socket under <c>vppctl</c>: a Unix domain
/// stream socket that takes one JSON request per line and answers one JSON reply per line
/// (docs/control.md). Each request runs an <see cref="IControlCommand"/> — the built-in
/// <c>help</c>, <c>stats</c>, <c>stages</c>, those the graph's stages declare
/// (<see cref="IControlledStage"/>), and those libraries register in DI — after its arguments
/// are checked against the command's declaration. Commands reach stages only through their
/// control mailboxes, so the data path never takes a lock.
/// </summary>
/// <remarks>
/// The socket is created mode 0600 (owner only: it can reconfigure the graph). A path held by a
/// live endpoint is refused; a stale socket (nobody answers) is replaced; the file is removed
/// when the endpoint is disposed. A bad request gets an error reply; nothing a client sends
/// stops the graph or the endpoint.
/// </remarks>
public sealed class ControlEndpoint : IAsyncDisposable
{
    /// <summary>Longest request line, in bytes; a longer one is refused and the connection closed.</summary>
    public const int MaxRequestBytes = 64 * 1024;

    /// <summary>Connections served at once; more are answered <c>busy</c> and closed.</summary>
    public const int MaxConnections = 16;

    /// <summary>How long a connection may stay silent before it is closed, so idle clients cannot hold the <see cref="MaxConnections"/> slots.</summary>
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromSeconds(30);

    /// <summary>sun_path is 108 bytes on Linux, including the terminating NUL.</summary>
    private const int MaxPathBytes = 107;

    private static readonly TimeSpan s_acceptRetryDelay = TimeSpan.FromMilliseconds(100);

    private readonly Socket _listener;
    private readonly ControlDispatcher _dispatcher;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, Task> _connections = new();
    private readonly TimeSpan _idleTimeout;
    private Task _accept = Task.CompletedTask;
    private int _disposed;

    private ControlEndpoint(string path, Socket listener, ControlDispatcher dispatcher, ILogger logger, TimeSpan idleTimeout)
    {
        Path = path;
        _listener = listener;
        _dispatcher = dispatcher;
        _logger = logger;
        _idleTimeout = idleTimeout;
    }

    /// <summary>The socket's path.</summary>
    public string Path { get; }

    /// <summary>
    /// Where control sockets go by default: <c>$FLOW_CONTROL_DIR</c> when set (tests keep their
    /// graphs apart this way), else <c>/run/flow</c> for root, else <c>$XDG_RUNTIME_DIR/flow</c>,
    /// else <c>/tmp/flow-&lt;uid&gt;</c>. <see cref="Start"/> creates it mode 0700 and refuses
    /// one that is a symlink, someone else's, or open to group or others.
    /// </summary>
    public static string DefaultDirectory
    {
        get
        {
            string? chosen = Environment.GetEnvironmentVariable("FLOW_CONTROL_DIR");
            if (!string.IsNullOrEmpty(chosen))
            {
                return chosen;
            }
            if (Environment.IsPrivilegedProcess)
            {
                return "/run/flow";
            }
            string? runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
            return !string.IsNullOrEmpty(runtime)
                ? System.IO.Path.Combine(runtime, "flow")
                : System.IO.Path.Combine(System.IO.Path.GetTempPath(), "flow-" + Interop.Sys.GetEUid().ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>The default socket of the graph named <paramref name="graphName"/>: <c>&lt;DefaultDirectory&gt;/&lt;name&gt;.sock</c>.</summary>
    public static string DefaultPath(string graphName)
    {
        ArgumentException.ThrowIfNullOrEmpty(graphName);
        var name = new StringBuilder(graphName.Length);
        foreach (char c in graphName)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '_');
        }
        return System.IO.Path.Combine(DefaultDirectory, name + ".sock");
    }

    /// <summary>
    /// Listens on <paramref name="path"/> for control requests against <paramref name="graph"/>.
    /// Throws <see cref="ControlEndpointException"/> when a live endpoint owns the path, the path
    /// is a file that is not a socket, or it is too long or cannot be created, and when the
    /// path is in <see cref="DefaultDirectory"/> and that is not a private directory of this user.
    /// </summary>
    /// <param name="path">The Unix socket path to listen on.</param>
    /// <param name="graph">The running graph the commands act on.</param>
    /// <param name="commands">Commands besides the built-in help, stats and stages and those the graph's stages declare (from DI: <c>GetServices&lt;IControlCommand&gt;()</c>).</param>
    /// <param name="commandTimeout">How long a command may take (default 10 s) before the client gets a <c>timeout</c> reply.</param>
    /// <param name="logger">Receives the endpoint's events; none are logged when null.</param>
    /// <param name="idleTimeout">How long a connection may wait between requests (default <see cref="DefaultIdleTimeout"/>) before it is closed.</param>
    public static ControlEndpoint Start(string path, FlowGraph graph, IEnumerable<IControlCommand>? commands = null, ILogger? logger = null,
        TimeSpan? commandTimeout = null, TimeSpan? idleTimeout = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(graph);
        logger ??= NullLogger.Instance;
        var dispatcher = new ControlDispatcher(graph, commands ?? [], commandTimeout ?? TimeSpan.FromSeconds(10), logger);
        path = System.IO.Path.GetFullPath(path);
        if (Encoding.UTF8.GetByteCount(path) > MaxPathBytes)
        {
            throw new ControlEndpointException($"control socket path '{path}' is longer than {MaxPathBytes} bytes (the Unix socket limit); choose a shorter one");
        }
        string directory = System.IO.Path.GetDirectoryName(path)!;
        if (directory == System.IO.Path.GetFullPath(DefaultDirectory))
        {
            PrivateDirectory.Ensure(directory);
        }
        else
        {
            // A directory the user named (--control): theirs to choose, as with any output path.
            try
            {
                Directory.CreateDirectory(directory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ControlEndpointException($"cannot create the control socket's directory '{directory}': {e.Message}", e);
            }
        }
        ClaimPath(path, logger);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            listener.Listen(MaxConnections);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            listener.Dispose();
            throw new ControlEndpointException($"another running graph took the control socket '{path}' just now; stop it, or choose another path with --control", e);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            listener.Dispose();
            throw new ControlEndpointException($"cannot listen on control socket '{path}': {e.Message}", e);
        }
        var endpoint = new ControlEndpoint(path, listener, dispatcher, logger, idleTimeout ?? DefaultIdleTimeout);
        FlowHostingLog.ControlListening(logger, path);
        endpoint._accept = endpoint.AcceptLoopAsync();
        return endpoint;
    }

    /// <summary>Refuses a path a live endpoint answers on or that is not a socket; removes a stale socket.</summary>
    private static void ClaimPath(string path, ILogger logger)
    {
        int type = Interop.Sys.FileType(path);
        if (type == -1)
        {
            return; // nothing there
        }
        if (type != Interop.Sys.S_IFSOCK)
        {
            throw new ControlEndpointException($"'{path}' exists and is not a socket; refusing to replace it — choose another path with --control");
        }
        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                throw new ControlEndpointException(
                    $"another running graph owns the control socket '{path}' (it answers there); stop that one, or give this one another path with --control");
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // Nobody listens: left behind by a process that died without cleaning up.
            }
        }
        File.Delete(path);
        FlowHostingLog.ControlStaleSocketReplaced(logger, path);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // EMFILE, ENFILE, ENOBUFS, ECONNABORTED: this accept failed, the listener did not.
                // A pause keeps an fd shortage from turning into a spin.
                FlowHostingLog.ControlAcceptFailed(_logger, e.SocketErrorCode.ToString(), e.Message);
                try
                {
                    await Task.Delay(s_acceptRetryDelay, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            if (_connections.Count >= MaxConnections)
            {
                _ = RefuseBusyAsync(client);
                continue;
            }
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task connection = ServeAfterAsync(started.Task, client);
            _connections[client] = connection;
            started.SetResult();
        }
    }

    private static async Task RefuseBusyAsync(Socket client)
    {
        using (client)
        {
            try
            {
                await client.SendAsync(ControlProtocol.Failure(null, ControlErrors.Busy,
                    $"the control endpoint already serves {MaxConnections} connections; try again")).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                // The client left first; nothing to tell it.
            }
        }
    }

    private async Task ServeAfterAsync(Task started, Socket client)
    {
        await started.ConfigureAwait(false);
        try
        {
            await ServeAsync(client).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // Peer gone or endpoint stopping: the connection ends, the endpoint goes on.
            FlowHostingLog.ControlConnectionEnded(_logger, e.Message);
        }
        finally
        {
            _connections.TryRemove(client, out _);
            client.Dispose();
        }
    }

    /// <summary>Reads lines (up to <see cref="MaxRequestBytes"/>) and answers each in order; closes a connection silent for the idle timeout.</summary>
    private async Task ServeAsync(Socket client)
    {
        CancellationToken stop = _stop.Token;
        ControlCaller? caller = Interop.Sys.TryGetPeerCred((int)client.Handle, out Interop.Sys.UCred peer)
            ? new ControlCaller(peer.Pid, peer.Uid, peer.Gid)
            : null;
        byte[] buffer = new byte[MaxRequestBytes];
        int filled = 0;
        while (true)
        {
            int newline = buffer.AsSpan(0, filled).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                int length = newline > 0 && buffer[newline - 1] == '\r' ? newline - 1 : newline;
                if (buffer.AsSpan(0, length).Trim((byte)' ').Length > 0)
                {
                    byte[] reply = await _dispatcher.HandleAsync(buffer.AsMemory(0, length), caller, stop).ConfigureAwait(false);
                    await client.SendAsync(reply, SocketFlags.None, stop).ConfigureAwait(false);
                }
                filled -= newline + 1;
                buffer.AsSpan(newline + 1, filled).CopyTo(buffer);
                continue;
            }
            if (filled == buffer.Length)
            {
                await client.SendAsync(ControlProtocol.Failure(null, ControlErrors.BadRequest,
                    $"the request is longer than {MaxRequestBytes} bytes without a newline; closing the connection"), SocketFlags.None, stop).ConfigureAwait(false);
                return;
            }
            int received;
            using (var idle = CancellationTokenSource.CreateLinkedTokenSource(stop))
            {
                idle.CancelAfter(_idleTimeout);
                try
                {
                    received = await client.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                    FlowHostingLog.ControlConnectionEnded(_logger, $"no request for {_idleTimeout.TotalSeconds:0.#} s");
                    return;
                }
            }
            if (received == 0)
            {
                if (filled > 0 && buffer.AsSpan(0, filled).Trim((byte)' ').Length > 0)
                {
                    // A last request without a newline (echo -n ... | socat): answer it too.
                    byte[] reply = await _dispatcher.HandleAsync(buffer.AsMemory(0, filled), caller, stop).ConfigureAwait(false);
                    await client.SendAsync(reply, SocketFlags.None, stop).ConfigureAwait(false);
                }
                return;
            }
            filled += received;
        }
    }

    /// <summary>Stops listening, ends open connections and removes the socket file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _dispatcher.StopLiveOperationsAsync().ConfigureAwait(false);
        await _accept.ConfigureAwait(false);
        foreach (Socket connection in _connections.Keys)
        {
            connection.Dispose();
        }
        await Task.WhenAll(_connections.Values).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
            // Already gone or replaced; nothing of ours to remove.
        }
        _stop.Dispose();
    }
}
