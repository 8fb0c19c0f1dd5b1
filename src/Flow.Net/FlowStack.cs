using System.Reflection;
using Flow.Hosting;
using Flow.Net.Udp;
using System.Net;
using System.Net.Sockets;
using Flow.Net.Internal;
using Flow.Net.Tcp;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Net;

/// <summary>
/// A user-space network stack: a Flow graph (by default the shipped <c>pipelines/stack.json</c>)
/// that owns interfaces on Flow ports — ARP, IPv4 in and out, ICMP, routing, UDP — and the
/// sockets applications open on it (<see cref="CreateUdpSocket"/>).
/// </summary>
/// <remarks>
/// The services given to <see cref="Load"/> must have <see cref="FlowNetRegistration.AddFlowNet"/>,
/// Flow's hosting and the backends the graph's ports name; their provider owns the tables the
/// stack's stages share (routes, neighbours, ports), so one provider serves one stack.
/// A graph file of one's own works as long as it has one each of <c>udp_receive</c>,
/// <c>udp_send</c> and <c>udp_errors</c>.
/// </remarks>
public sealed class FlowStack : IAsyncDisposable, IDisposable
{
    /// <summary>The name the shipped graph's text is embedded under in this assembly.</summary>
    public const string EmbeddedGraphName = "Flow.Net.stack.json";

    private readonly string[] _socketStages;
    private readonly UdpSender _sender;
    private readonly SocketHost _host;
    private int _disposed;

    private FlowStack(FlowGraph graph, UdpPortTable ports, TcpTable tcp)
    {
        Graph = graph;
        Ports = ports;
        Tcp = tcp;
        _sender = (UdpSender)Single<UdpSender>(graph).Stage;
        _socketStages = [Single<UdpReceiver>(graph).Name, Single<UdpSender>(graph).Name, Single<UdpErrorReceiver>(graph).Name];
        _host = new SocketHost(ports, tcp, _sender.Interfaces, _sender.SendPool, QuiesceAsync);
    }

    /// <summary>The stack's graph: start it (<see cref="Start"/>), read its stats, trace it, reach it by the control socket.</summary>
    public FlowGraph Graph { get; }

    internal UdpPortTable Ports { get; }

    /// <summary>The stack's TCP state: its connection count and its retransmission counters.</summary>
    public TcpTable Tcp { get; }

    /// <summary>How many received frames the UDP sockets' rings hold, and how many datagrams were copied out of theirs.</summary>
    public UdpReceiveMemory UdpReceiveMemory => Ports.ReceiveMemory;

    /// <summary>What the stack's sockets share; throws once the stack is disposed.</summary>
    internal SocketHost Host
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _host;
        }
    }

    /// <summary>
    /// Loads the stack's graph: <paramref name="graphFile"/>, or the shipped stack.json, with
    /// <paramref name="parameters"/> overriding its parameters as <c>flow run --set</c> does
    /// (<c>backend</c>, <c>interface</c>, <c>address</c>, <c>routes</c>, …).
    /// </summary>
    public static FlowStack Load(IServiceProvider services, IReadOnlyDictionary<string, string>? parameters = null, string? graphFile = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        GraphFileLoader loader = services.GetRequiredService<GraphFileLoader>();
        FlowGraph graph = graphFile is null
            ? loader.LoadText(EmbeddedGraph(), "stack.json", baseDirectory: null, parameters)
            : loader.Load(graphFile, parameters);
        try
        {
            return new FlowStack(graph, services.GetRequiredService<UdpPortTable>(), services.GetRequiredService<TcpTable>());
        }
        catch
        {
            graph.Dispose();
            throw;
        }
    }

    /// <summary>The shipped stack.json, as embedded in this assembly.</summary>
    public static string EmbeddedGraph()
    {
        using Stream stream = typeof(FlowStack).Assembly.GetManifestResourceStream(EmbeddedGraphName)
            ?? throw new InvalidOperationException($"resource {EmbeddedGraphName} is missing from {typeof(FlowStack).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Starts the stack's workers.</summary>
    public void Start() => Graph.Start();

    /// <summary>A new UDP socket; <paramref name="queueLength"/> datagrams wait in each direction at most (a power of two).</summary>
    public FlowUdpSocket CreateUdpSocket(int queueLength = FlowUdpSocket.DefaultQueueLength)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return new FlowUdpSocket(_host, queueLength);
    }

    /// <summary>A <see cref="FlowSocket"/>: <see cref="SocketType.Stream"/> with <see cref="ProtocolType.Tcp"/>, or <see cref="SocketType.Dgram"/> with <see cref="ProtocolType.Udp"/>.</summary>
    public FlowSocket CreateSocket(SocketType socketType, ProtocolType protocolType) => new(this, socketType, protocolType);

    /// <summary>
    /// A TCP listener on <paramref name="localEndPoint"/> (any address or one of the stack's, and a
    /// port); <see cref="FlowTcpListener.Start"/> it. Each accepted connection gets buffers of the
    /// given sizes (powers of two); the receive buffer is the largest window it advertises.
    /// </summary>
    public FlowTcpListener CreateTcpListener(IPEndPoint localEndPoint, int sendBufferSize = 256 * 1024, int receiveBufferSize = 256 * 1024)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return new FlowTcpListener(_host, localEndPoint, sendBufferSize, receiveBufferSize);
    }

    /// <summary>
    /// Opens a TCP connection to <paramref name="remoteEndPoint"/> from the address of the
    /// interface its route leaves by and an ephemeral port. Fails with a <see cref="SocketException"/>:
    /// <see cref="SocketError.ConnectionRefused"/> (a reset), <see cref="SocketError.TimedOut"/>
    /// (no answer to the SYN and its retransmissions), <see cref="SocketError.NetworkUnreachable"/>.
    /// </summary>
    public ValueTask<FlowTcpStream> ConnectTcpAsync(IPEndPoint remoteEndPoint, CancellationToken cancellationToken = default,
        int sendBufferSize = 256 * 1024, int receiveBufferSize = 256 * 1024)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return FlowTcpStream.ConnectAsync(_host, remoteEndPoint, sendBufferSize, receiveBufferSize, cancellationToken);
    }

    /// <summary>Completes once every worker that runs a socket stage has passed a batch boundary, so none still holds a socket it found before.</summary>
    private async Task QuiesceAsync()
    {
        foreach (string stage in _socketStages)
        {
            await Graph.InvokeAsync<Stage>(stage, static _ => { }).ConfigureAwait(false);
        }
    }

    /// <summary>Closes the sockets still open, stops the graph (draining what is in flight) and disposes it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        foreach (FlowUdpSocket socket in Ports.Sockets)
        {
            await socket.DisposeAsync().ConfigureAwait(false);
        }
        await Graph.StopAsync(drain: true).ConfigureAwait(false);
        await Graph.DisposeAsync().ConfigureAwait(false);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static StageInfo Single<TStage>(FlowGraph graph) where TStage : Stage
    {
        StageInfo[] found = [.. graph.Stages.Where(s => s.Stage is TStage)];
        string type = typeof(TStage).GetCustomAttribute<StageAttribute>()!.TypeName;
        return found.Length == 1
            ? found[0]
            : throw new InvalidOperationException($"the stack's graph has {found.Length} '{type}' stages; it needs exactly one");
    }
}
