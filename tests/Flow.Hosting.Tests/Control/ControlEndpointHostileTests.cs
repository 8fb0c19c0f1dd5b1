using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Flow.Hosting.Tests.Control;

/// <summary>
/// Clients that do not play fair with the control socket: a command that outlives its
/// timeout, more idle connections than there are slots. The endpoint stays one-at-a-time and
/// keeps serving an honest client afterwards.
/// </summary>
public sealed class ControlEndpointHostileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("flowctl-").FullName;

    private string SocketPath => Path.Combine(_directory, "g.sock");

    private static FlowGraph IdleGraph() => new GraphBuilder()
        .Worker(0, idle: IdlePolicy.Event(TimeSpan.FromMilliseconds(5)))
        .Add("gen", new Generator(new GeneratorOptions { Count = 10 }))
        .Add("sink", new NullSink())
        .Connect("gen", "sink")
        .Build();

    [Fact]
    public async Task ACommandThatTimedOutKeepsOthersOutUntilItReallyEnds()
    {
        var stuck = new StuckCommand();
        await using FlowGraph graph = IdleGraph();
        await using ControlEndpoint endpoint = ControlEndpoint.Start(SocketPath, graph, [stuck], commandTimeout: TimeSpan.FromMilliseconds(200));
        await using ControlClient first = await ControlClient.ConnectAsync(endpoint.Path);
        await using ControlClient second = await ControlClient.ConnectAsync(endpoint.Path);

        ControlResponse timedOut = await first.SendAsync("stuck");
        ControlResponse meanwhile = await second.SendAsync("stages");
        stuck.Finish();
        ControlResponse after = await second.SendAsync("stages");

        Assert.Equal(ControlErrors.Timeout, timedOut.Error);
        Assert.Equal(ControlErrors.Busy, meanwhile.Error);
        Assert.Equal("another control command is still running after 0.2 s; try again later", meanwhile.Message);
        Assert.True(after.Ok, after.Message);
    }

    [Fact]
    public async Task IdleConnectionsAreClosedSoTheyCannotHoldEverySlot()
    {
        await using FlowGraph graph = IdleGraph();
        await using ControlEndpoint endpoint = ControlEndpoint.Start(SocketPath, graph, idleTimeout: TimeSpan.FromMilliseconds(300));
        var idle = new List<Socket>();
        try
        {
            for (int i = 0; i < ControlEndpoint.MaxConnections; i++)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                idle.Add(socket);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(endpoint.Path));
            }
            // The endpoint accepts in order, so when the next one is refused every idle one holds a slot.
            await using (ControlClient extra = await ControlClient.ConnectAsync(endpoint.Path))
            {
                string refused = await extra.SendLineAsync("{\"command\": \"stages\"}\n"u8.ToArray());
                Assert.Contains("\"error\":\"busy\"", refused);
            }

            // Each idle connection is closed by the endpoint (end of stream), which frees its slot first.
            byte[] scratch = new byte[64];
            foreach (Socket socket in idle)
            {
                Assert.Equal(0, await socket.ReceiveAsync(scratch.AsMemory()).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
            }
            await using ControlClient honest = await ControlClient.ConnectAsync(endpoint.Path);
            Assert.True((await honest.SendAsync("stages")).Ok);
        }
        finally
        {
            idle.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task BinaryGarbageAndAnOversizedLineLeaveTheEndpointServing()
    {
        await using FlowGraph graph = IdleGraph();
        await using ControlEndpoint endpoint = ControlEndpoint.Start(SocketPath, graph);
        using (var rude = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await rude.ConnectAsync(new UnixDomainSocketEndPoint(endpoint.Path));
            byte[] garbage = new byte[4096];
            new Random(7).NextBytes(garbage);
            await rude.SendAsync(garbage);
            await rude.SendAsync(Encoding.ASCII.GetBytes(new string('x', ControlEndpoint.MaxRequestBytes + 1)));
            rude.Shutdown(SocketShutdown.Send);
            // Read to the end: the endpoint answers the garbage lines and closes on the long one
            // (a reset, when it closes with our bytes still unread).
            byte[] buffer = new byte[4096];
            var replies = new StringBuilder();
            try
            {
                int n;
                while ((n = await rude.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(TimeSpan.FromSeconds(30))) > 0)
                {
                    replies.Append(Encoding.UTF8.GetString(buffer, 0, n));
                }
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
            }
            Assert.Contains("\"error\":\"bad_request\"", replies.ToString());
        }
        await using ControlClient honest = await ControlClient.ConnectAsync(endpoint.Path);
        Assert.True((await honest.SendAsync("stages")).Ok);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A command stuck on a worker: ignores cancellation and ends only when the test says so.</summary>
    private sealed class StuckCommand : IControlCommand
    {
        // Synchronous continuations: Finish() returns after the endpoint has seen the command end.
        private readonly TaskCompletionSource _done = new();

        public string Name => "stuck";

        public string Help => "Never answers until the test lets it.";

        public IReadOnlyList<ControlArgument> Arguments => [];

        public async Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
        {
            await _done.Task.ConfigureAwait(false);
            return ControlReply.Text("done");
        }

        public void Finish() => _done.SetResult();
    }
}
