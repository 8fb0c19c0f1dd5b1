using System.IO.Pipelines;
using System.Net;
using Flow.Net.Tcp;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace Flow.Net.Kestrel;

/// <summary>A Kestrel connection over a Flow TCP stream, its transport a pipe pair on the stream.</summary>
internal sealed class FlowConnectionContext : ConnectionContext
{
    private static long s_nextId;
    private readonly FlowTcpStream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;

    public FlowConnectionContext(FlowTcpStream stream)
    {
        _stream = stream;
        // Kestrel writes whole responses; it turns Nagle off on kernel sockets too.
        stream.NoDelay = true;
        // The stream is closed once, by DisposeAsync: a pipe completing first must not send the FIN early.
        _input = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        _output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        Transport = new DuplexPipe(_input, _output);
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

    public override async ValueTask DisposeAsync()
    {
        await _input.CompleteAsync().ConfigureAwait(false);
        await _output.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;

        public PipeWriter Output => output;
    }
}
