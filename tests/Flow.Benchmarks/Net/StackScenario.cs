using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Flow.Backends.AfXdp;
using Flow.Benchmarks.Infrastructure;
using Flow.Hosting;
using Flow.Net;
using Flow.Net.Tcp;
using Flow.Net.Udp;
using Flow.TestKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Benchmarks.Net;

/// <summary>
/// Scenario <c>stack</c> (issue 20): a UDP echo server on Flow's stack against the same server on
/// the kernel's sockets, one load (<see cref="UdpEchoClient"/>) for both, rounds interleaved.
/// <code>
///  ns client 10.8.1.1 ─veth─ ns kernel 10.8.1.2: a kernel UDP socket echoing, its thread on cpu 0
///  ns client 10.8.2.1 ─veth─ Flow's stack 10.8.2.2 (stack.json on af_xdp, native, busy poll; worker on cpu 0):
///                              a FlowUdpSocket echoing, its thread on cpu 0
///  the client's thread on cpu 1
/// </code>
/// Both servers copy each datagram out and back in (receive into a buffer, send from it) on one
/// thread pinned to cpu 0; Flow's worker shares that core (idle policy yielding). The <c>_async</c>
/// variants run Flow's server as an application on the thread pool writes it (awaits, no thread
/// of its own): its continuations are not pinned, so they may also run on cpu 1 beside the client. The client's
/// veths send whole checksums. AF_XDP, not AF_PACKET: TPACKET_V3 hands a block over when it is
/// full or after its retire timeout (1 ms at least), which bounds a request/response load at
/// window / 1 ms (32 k echoes a second here, measured). The last line is one JSON object; corrupt echoes fail the run.
/// Then TCP: request/response (64 bytes echoed) on one connection, and on <c>--connections</c>
/// (1 000) in waves from the client's one thread, both servers then thread-pool applications with
/// 16 KiB buffers per connection on Flow; bulk on one connection (the server checks a pattern);
/// HTTP, one ASP.NET Core app on Kestrel over each.
/// </summary>
public static class StackScenario
{
    private const int EchoPort = 7;
    private const int TcpRrPort = 8000;
    private const int TcpBulkPort = 8001;
    private const int TcpManyPort = 8002;
    private const int TcpWorkerPort = 8003;
    private const int TcpManyWorkerPort = 8004;

    public static async Task<int> RunAsync(string[] args)
    {
        int rounds = ScenarioArgs.Int(args, "--rounds", 3);
        int seconds = ScenarioArgs.Int(args, "--seconds", 3);
        int connections = ScenarioArgs.Int(args, "--connections", 1000);
        if (Environment.ProcessorCount < 2)
        {
            Console.Error.WriteLine("stack: needs 2 CPUs (servers on cpu 0, the client on cpu 1)");
            return 2;
        }
        Shell.RequireRootAnd("ip", Shell.Python);
        using var client = new NetnsFixture("sc");
        using var kernelHost = new NetnsFixture("sk");
        using var toKernel = new VethPair(kernelHost, "k");
        using var toFlow = new VethPair(null, "f");
        Shell.Run("ip", "link", "set", toKernel.HostName, "netns", client.Name);
        Shell.Run("ip", "link", "set", toFlow.PeerName, "netns", client.Name);
        client.Exec("ip", "link", "set", toKernel.HostName, "up");
        client.Exec("ip", "link", "set", toFlow.PeerName, "up");
        client.Exec("ip", "addr", "add", "10.8.1.1/24", "dev", toKernel.HostName);
        client.Exec("ip", "addr", "add", "10.8.2.1/24", "dev", toFlow.PeerName);
        kernelHost.Exec("ip", "addr", "add", "10.8.1.2/24", "dev", toKernel.PeerName);
        Shell.Run("sysctl", "-qw", $"net.ipv4.conf.{toFlow.HostName}.forwarding=0");
        HostOffloads.DisableTxChecksum(client, toFlow.PeerName);

        using var clientThread = new NetnsThread(client);
        using var kernelThread = new NetnsThread(kernelHost);
        using Socket kernelServer = kernelThread.Invoke(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Any, EchoPort));
            return s;
        });
        using Socket toKernelSocket = clientThread.Invoke(() => Connected("10.8.1.2"));
        using Socket toFlowSocket = clientThread.Invoke(() => Connected("10.8.2.2"));

        var services = new ServiceCollection();
        services.AddFlowHosting();
        services.AddFlowNet();
        services.AddFlowAfXdp();
        await using ServiceProvider provider = services.BuildServiceProvider();
        await using FlowStack stack = FlowStack.Load(provider, new Dictionary<string, string>
        {
            ["backend"] = "af_xdp",
            ["interface"] = toFlow.HostName,
            ["address"] = "10.8.2.2/24",
            ["mac"] = toFlow.HostMac,
            ["af_xdp"] = """{ "attach_mode": "native", "bind_mode": "auto", "busy_poll_budget": 64 }""",
            ["workers"] = """[{ "id": 0, "cpu": 0, "idle": "yielding" }]""",
        });
        stack.Start();
        await using FlowUdpSocket flowServer = stack.CreateUdpSocket(1024);
        flowServer.Bind(new IPEndPoint(IPAddress.Any, EchoPort));
        flowServer.ReceiveBusyPoll = TimeSpan.FromMicroseconds(ScenarioArgs.Int(args, "--busy-poll-us", 50));

        // TCP: one request/response connection and one bulk connection to each server.
        using Socket kernelRrListener = kernelThread.Invoke(() => Listening(TcpRrPort));
        using Socket kernelBulkListener = kernelThread.Invoke(() => Listening(TcpBulkPort));
        using FlowTcpListener flowRrListener = stack.CreateTcpListener(new IPEndPoint(IPAddress.Any, TcpRrPort));
        using FlowTcpListener flowBulkListener = stack.CreateTcpListener(new IPEndPoint(IPAddress.Any, TcpBulkPort), receiveBufferSize: 1 << 20);
        flowRrListener.Start();
        flowBulkListener.Start();
        using Socket kernelRrClient = clientThread.Invoke(() => ConnectedTcp("10.8.1.2", TcpRrPort));
        using Socket kernelRr = kernelRrListener.Accept();
        using Socket kernelBulkClient = clientThread.Invoke(() => ConnectedTcp("10.8.1.2", TcpBulkPort));
        using Socket kernelBulk = kernelBulkListener.Accept();
        using Socket flowRrClient = clientThread.Invoke(() => ConnectedTcp("10.8.2.2", TcpRrPort));
        await using FlowTcpStream flowRr = await flowRrListener.AcceptAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        using FlowTcpListener flowWorkerListener = stack.CreateTcpListener(new IPEndPoint(IPAddress.Any, TcpWorkerPort));
        flowWorkerListener.StartOnWorker(TcpLoads.WorkerEcho);
        using Socket flowWorkerClient = clientThread.Invoke(() => ConnectedTcp("10.8.2.2", TcpWorkerPort));
        using Socket flowBulkClient = clientThread.Invoke(() => ConnectedTcp("10.8.2.2", TcpBulkPort));
        await using FlowTcpStream flowBulk = await flowBulkListener.AcceptAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Console.WriteLine($"stack: UDP echo ({UdpEchoClient.PayloadLength}-byte datagrams, window {UdpEchoClient.Window}), TCP request/response ({TcpLoads.RequestLength} bytes, one connection and {connections}), TCP bulk, HTTP; {rounds} rounds of {seconds} s");
        using var kernelLoad = new UdpEchoClient(toKernelSocket);
        using var flowLoad = new UdpEchoClient(toFlowSocket);
        TimeSpan window = TimeSpan.FromSeconds(seconds);
        long rrCorrupt = 0;
        var kernelTally = new TcpLoads.BulkTally();
        var flowTally = new TcpLoads.BulkTally();
        var kernelSent = new StrongBox<long>();
        var flowSent = new StrongBox<long>();
        InterleavedRounds result = await InterleavedRounds.RunAsync(rounds,
        [
            ("kernel_udp_echo", () => Measure(kernelLoad.Run, window, stop => KernelEcho(kernelServer, stop))),
            ("flow_udp_echo", () => Measure(flowLoad.Run, window, stop => FlowEcho(flowServer, stop))),
            ("flow_udp_echo_async", () => Measure(flowLoad.Run, window, stop => FlowEchoAsync(flowServer, stop).GetAwaiter().GetResult())),
            ("flow_udp_echo_worker", () => Measure(flowLoad.Run, window, stop => FlowEchoOnWorker(flowServer, stop))),
            ("kernel_tcp_rr", () => Measure(d => TcpLoads.RequestResponse(kernelRrClient, d, ref rrCorrupt), window, stop => TcpLoads.KernelEcho(kernelRr, stop))),
            ("flow_tcp_rr", () => Measure(d => TcpLoads.RequestResponse(flowRrClient, d, ref rrCorrupt), window, stop => TcpLoads.FlowEcho(flowRr, stop))),
            ("flow_tcp_rr_async", () => Measure(d => TcpLoads.RequestResponse(flowRrClient, d, ref rrCorrupt), window,
                stop => TcpLoads.FlowEchoAsync(flowRr, stop).GetAwaiter().GetResult())),
            ("flow_tcp_rr_worker", () => Measure(d => TcpLoads.RequestResponse(flowWorkerClient, d, ref rrCorrupt), window, stop => stop.WaitHandle.WaitOne())),
        ],
        [("flow_udp_echo", "kernel_udp_echo"), ("flow_udp_echo_async", "kernel_udp_echo"), ("flow_udp_echo_worker", "kernel_udp_echo"), ("flow_tcp_rr", "kernel_tcp_rr"), ("flow_tcp_rr_async", "kernel_tcp_rr"), ("flow_tcp_rr_worker", "kernel_tcp_rr")]);
        InterleavedRounds bulk = await InterleavedRounds.RunAsync(rounds,
        [
            ("kernel_tcp_bulk", () => Measure(d => Bulk(kernelBulkClient, kernelSent, kernelTally, d), window, stop => TcpLoads.KernelSink(kernelBulk, kernelTally, stop))),
            ("flow_tcp_bulk", () => Measure(d => Bulk(flowBulkClient, flowSent, flowTally, d), window, stop => TcpLoads.FlowSink(flowBulk, flowTally, stop))),
        ],
        [("flow_tcp_bulk", "kernel_tcp_bulk")], ("Gbit/s", 1e9));

        // TCP request/response on many connections, both servers written as thread-pool applications.
        using Socket kernelManyListener = kernelThread.Invoke(() => Listening(TcpManyPort, connections));
        using FlowTcpListener flowManyListener = stack.CreateTcpListener(new IPEndPoint(IPAddress.Any, TcpManyPort), sendBufferSize: 16 * 1024, receiveBufferSize: 16 * 1024);
        flowManyListener.Start(connections);
        Socket[] kernelManyClients = clientThread.Invoke(() => Enumerable.Range(0, connections).Select(_ => ConnectedTcp("10.8.1.2", TcpManyPort)).ToArray());
        Socket[] kernelMany = [.. Enumerable.Range(0, connections).Select(_ => kernelManyListener.Accept())];
        Task<FlowTcpStream[]> flowAccepted = Task.Run(async () =>
        {
            var accepted = new FlowTcpStream[connections];
            for (int i = 0; i < connections; i++)
            {
                accepted[i] = await flowManyListener.AcceptAsync().ConfigureAwait(false);
            }
            return accepted;
        });
        Socket[] flowManyClients = clientThread.Invoke(() => Enumerable.Range(0, connections).Select(_ => ConnectedTcp("10.8.2.2", TcpManyPort)).ToArray());
        FlowTcpStream[] flowMany = await flowAccepted.WaitAsync(TimeSpan.FromSeconds(60));
        using FlowTcpListener flowManyWorkerListener = stack.CreateTcpListener(new IPEndPoint(IPAddress.Any, TcpManyWorkerPort), sendBufferSize: 16 * 1024, receiveBufferSize: 16 * 1024);
        flowManyWorkerListener.StartOnWorker(TcpLoads.WorkerEcho, connections);
        Socket[] flowManyWorkerClients = clientThread.Invoke(() => Enumerable.Range(0, connections).Select(_ => ConnectedTcp("10.8.2.2", TcpManyWorkerPort)).ToArray());
        long manyCorrupt = 0;
        InterleavedRounds many = await InterleavedRounds.RunAsync(rounds,
        [
            ("kernel_tcp_rr_many", () => Measure(d => TcpLoads.RequestResponseMany(kernelManyClients, d, ref manyCorrupt), window,
                stop => Task.WhenAll(kernelMany.Select(s => TcpLoads.KernelEchoAsync(s, stop))).GetAwaiter().GetResult())),
            ("flow_tcp_rr_many", () => Measure(d => TcpLoads.RequestResponseMany(flowManyClients, d, ref manyCorrupt), window,
                stop => Task.WhenAll(flowMany.Select(s => TcpLoads.FlowEchoAsync(s, stop))).GetAwaiter().GetResult())),
            ("flow_tcp_rr_many_worker", () => Measure(d => TcpLoads.RequestResponseMany(flowManyWorkerClients, d, ref manyCorrupt), window, stop => stop.WaitHandle.WaitOne())),
        ],
        [("flow_tcp_rr_many", "kernel_tcp_rr_many"), ("flow_tcp_rr_many_worker", "kernel_tcp_rr_many")]);
        foreach (Socket s in kernelManyClients.Concat(kernelMany).Concat(flowManyClients).Concat(flowManyWorkerClients))
        {
            s.Dispose();
        }
        foreach (FlowTcpStream s in flowMany)
        {
            await s.DisposeAsync();
        }

        // HTTP: the same app on Kestrel over kernel sockets and over the stack, one HttpClient load.
        int httpConcurrency = ScenarioArgs.Int(args, "--http-concurrency", 16);
        long httpWrong = 0;
        await using WebApplication kernelApp = HttpLoad.StartApp("http://10.8.1.2:8080", transport: null, startIn: kernelThread);
        await using WebApplication flowApp = HttpLoad.StartApp("http://10.8.2.2:8080", HttpLoad.OnFlow(stack), startIn: null);
        using HttpClient httpClient = HttpLoad.Client(clientThread);
        InterleavedRounds http = await InterleavedRounds.RunAsync(rounds,
        [
            ("kernel_http", () => Task.Run(() => HttpLoad.Run(httpClient, "http://10.8.1.2:8080/hello", httpConcurrency, window, ref httpWrong))),
            ("flow_http", () => Task.Run(() => HttpLoad.Run(httpClient, "http://10.8.2.2:8080/hello", httpConcurrency, window, ref httpWrong))),
        ],
        [("flow_http", "kernel_http")], ("k req/s", 1e3));

        long corrupt = kernelLoad.Corrupt + flowLoad.Corrupt + rrCorrupt + manyCorrupt + kernelTally.Corrupt + flowTally.Corrupt + httpWrong;
        string F(double v) => double.IsFinite(v) ? v.ToString("F0", CultureInfo.InvariantCulture) : "null";
        string R(double v) => double.IsFinite(v) ? v.ToString("F3", CultureInfo.InvariantCulture) : "null";
        var json = new System.Text.StringBuilder("{\"scenario\":\"stack\"");
        var written = new HashSet<string>();
        foreach ((InterleavedRounds run, string kernelName, string flowName, string unit) in new[]
        {
            (result, "kernel_udp_echo", "flow_udp_echo", "pps"), (result, "kernel_udp_echo", "flow_udp_echo_async", "pps"), (result, "kernel_udp_echo", "flow_udp_echo_worker", "pps"), (result, "kernel_tcp_rr", "flow_tcp_rr", "tps"), (result, "kernel_tcp_rr", "flow_tcp_rr_async", "tps"), (result, "kernel_tcp_rr", "flow_tcp_rr_worker", "tps"), (many, "kernel_tcp_rr_many", "flow_tcp_rr_many", "tps"), (many, "kernel_tcp_rr_many", "flow_tcp_rr_many_worker", "tps"), (bulk, "kernel_tcp_bulk", "flow_tcp_bulk", "bps"), (http, "kernel_http", "flow_http", "rps"),
        })
        {
            Samples kernel = run.Samples[kernelName];
            Samples flow = run.Samples[flowName];
            Samples ratio = run.PairedRatios[(flowName, kernelName)];
            string what = flowName["flow_".Length..];
            Console.WriteLine($"  {what}: kernel median {kernel.Median:F0} {unit}, flow median {flow.Median:F0} {unit}, flow/kernel {ratio.Median:F2} ({ratio.Min:F2}–{ratio.Max:F2})");
            if (written.Add(kernelName))
            {
                json.Append(CultureInfo.InvariantCulture, $",\"{kernelName}_{unit}\":{F(kernel.Median)}");
            }
            json.Append(CultureInfo.InvariantCulture, $",\"{flowName}_{unit}\":{F(flow.Median)}");
            json.Append(CultureInfo.InvariantCulture, $",\"flow_vs_kernel_{what}\":{R(ratio.Median)},\"flow_vs_kernel_{what}_min\":{R(ratio.Min)},\"flow_vs_kernel_{what}_max\":{R(ratio.Max)}");
        }
        Console.WriteLine($"  UDP lost: kernel {kernelLoad.Lost}, flow {flowLoad.Lost}; corrupt: {corrupt}; Flow socket ring drops {flowServer.ReceiveQueueDrops}");
        json.Append(CultureInfo.InvariantCulture,
            $",\"kernel_udp_echo_lost\":{kernelLoad.Lost},\"flow_udp_echo_lost\":{flowLoad.Lost},\"corrupt\":{corrupt},\"failed_runs\":{result.Failures + many.Failures + bulk.Failures + http.Failures}," +
            $"\"cross_core_latency_ns\":{F(result.Latency.Median)},\"rounds\":{rounds},\"http_concurrency\":{httpConcurrency},\"connections\":{connections}}}");
        Console.WriteLine(json.ToString());
        return corrupt == 0 && result.Failures + many.Failures + bulk.Failures + http.Failures == 0 ? 0 : 1;
    }

    private static Socket Listening(int port, int backlog = 4)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Any, port));
        s.Listen(backlog);
        return s;
    }

    private static Socket ConnectedTcp(string server, int port)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        s.Connect(new IPEndPoint(IPAddress.Parse(server), port));
        return s;
    }

    /// <summary>Streams from this thread's pinned sender for <paramref name="duration"/>; returns what the server counted, in bits per second.</summary>
    private static double Bulk(Socket client, StrongBox<long> sent, TcpLoads.BulkTally tally, TimeSpan duration)
    {
        using var stopSending = new CancellationTokenSource();
        var sender = new Thread(() => TcpLoads.Stream(client, sent, stopSending.Token)) { IsBackground = true, Name = "bulk-client" };
        sender.Start();
        long before = tally.Bytes;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Thread.Sleep(duration);
        long after = tally.Bytes;
        double elapsed = clock.Elapsed.TotalSeconds;
        stopSending.Cancel();
        sender.Join();
        return (after - before) * 8 / elapsed;
    }

    private static Socket Connected(string server)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Connect(new IPEndPoint(IPAddress.Parse(server), EchoPort));
        return s;
    }

    /// <summary>Runs the server on its own thread (cpu 0) and the load on this one (cpu 1) for a warm-up, then the measured window.</summary>
    private static Task<double> Measure(Func<TimeSpan, double> load, TimeSpan window, Action<CancellationToken> server) => Task.Run(() =>
    {
        using var stop = new CancellationTokenSource();
        var serverThread = new Thread(() =>
        {
            OsThread.Pin(0);
            server(stop.Token);
        }) { IsBackground = true, Name = "echo-server" };
        serverThread.Start();
        OsThread.Pin(1);
        try
        {
            load(TimeSpan.FromMilliseconds(500));
            return load(window);
        }
        finally
        {
            stop.Cancel();
            serverThread.Join();
        }
    });

    private static void KernelEcho(Socket socket, CancellationToken stop)
    {
        // The kernel's server at its best: a batch of datagrams per system call each way.
        socket.ReceiveTimeout = 100;
        using var udp = new BatchedUdp(socket, 2048);
        var lengths = new int[BatchedUdp.Batch];
        while (!stop.IsCancellationRequested)
        {
            int n = udp.Receive(keepSenders: true);
            for (int i = 0; i < n; i++)
            {
                lengths[i] = udp.ReceivedLength(i);
            }
            udp.Send(n, lengths, toSenders: true);
        }
    }

    /// <summary>The UDP echo as an application on the thread pool writes it: awaits, no thread of its own.</summary>
    private static async Task FlowEchoAsync(FlowUdpSocket socket, CancellationToken stop)
    {
        byte[] buffer = new byte[2048];
        IPEndPoint? peer = null;
        try
        {
            while (true)
            {
                int n;
                using (FlowDatagram datagram = await socket.ReceiveDatagramAsync(stop).ConfigureAwait(false))
                {
                    n = datagram.CopyTo(buffer);
                    if (peer is null || peer.Port != datagram.RemotePort)
                    {
                        peer = datagram.RemoteEndPoint;
                    }
                }
                await socket.SendToAsync(buffer.AsMemory(0, n), peer, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The UDP echo run to completion on the stack's worker (f-stack's model): the handler answers as udp_receive takes each datagram.</summary>
    private static void FlowEchoOnWorker(FlowUdpSocket socket, CancellationToken stop)
    {
        socket.ReceiveOnWorker(static (s, in d) => s.Reply(d, d.Payload));
        stop.WaitHandle.WaitOne();
        socket.ReceiveOnWorker(null);
    }

    private static void FlowEcho(FlowUdpSocket socket, CancellationToken stop)
    {
        byte[] buffer = new byte[2048];
        IPEndPoint? peer = null;
        while (!stop.IsCancellationRequested)
        {
            int n;
            uint address;
            ushort port;
            try
            {
                ValueTask<FlowDatagram> pending = socket.ReceiveDatagramAsync(stop);
                using FlowDatagram datagram = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
                n = datagram.CopyTo(buffer);
                (address, port) = (datagram.RemoteAddress, datagram.RemotePort);
                // One client: its endpoint is made once, not per datagram.
                if (peer is null || peer.Port != port)
                {
                    peer = datagram.RemoteEndPoint;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            ValueTask<int> sent = socket.SendToAsync(buffer.AsMemory(0, n), peer, stop);
            if (!sent.IsCompletedSuccessfully)
            {
                sent.AsTask().GetAwaiter().GetResult();
            }
        }
    }
}
