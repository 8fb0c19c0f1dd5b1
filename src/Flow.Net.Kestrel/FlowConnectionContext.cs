using System.IO.Pipelines;
using System.Net;
using Flow.Net.Tcp;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace Flow.Net.Kestrel;

/// <summary>
/// A Kestrel connection over a Flow TCP connection, its transport the connection's own pipe
/// (<see cref="FlowTcpStream.Input"/> reads the receive ring in place, <see cref="FlowTcpStream.Output"/>
/// writes into the send ring): no pipe of Kestrel's own between them, so no copy.
/// </summary>
internal sealed class FlowConnectionContext : ConnectionContext
{
    private static long s_nextId;
    private readonly FlowTcpStream _stream;

    public FlowConnectionContext(FlowTcpStream stream)
    {
        _stream = stream;
        // Kestrel writes whole responses; it turns Nagle off on kernel sockets too.
        stream.NoDelay = true;
        Transport = stream;
        LocalEndPoint = stream.LocalEndPoint;
        RemoteEndPoint = stream.RemoteEndPoint;
        ConnectionId = "flow-" + Interlocked.Increment(ref s_nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public override IDuplexPipe Transport { get; set; }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    public override EndPoint? LocalEndPoint { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    public override void Abort(ConnectionAbortedException abortReason) => _stream.Abort();

    /// <summary>The output's completion sends the FIN after what Kestrel wrote; disposing the stream then is the close.</summary>
    public override async ValueTask DisposeAsync()
    {
        await _stream.Input.CompleteAsync().ConfigureAwait(false);
        await _stream.Output.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
    }
}
