using BenchmarkDotNet.Running;
using Flow.Benchmarks.Core.Pipeline;

// Whole-path scenarios by name; "micro" hands the rest of the arguments to BenchmarkDotNet.
//   dotnet run -c Release --project tests/Flow.Benchmarks -- pipeline [--rounds N] [--seconds S]
//   dotnet run -c Release --project tests/Flow.Benchmarks -- micro [--filter *Ring*]
string scenario = args.Length > 0 ? args[0] : "";
string[] rest = args.Skip(1).ToArray();
switch (scenario)
{
    case "pipeline":
        return await PipelineScenario.RunAsync(rest);
    case "memif":
        return await Flow.Benchmarks.Backends.Memif.MemifScenario.RunAsync(rest);
    case "dpdk":
        return await Flow.Benchmarks.Backends.Dpdk.DpdkScenario.RunAsync(rest);
    case "afxdp":
        return await Flow.Benchmarks.Backends.AfXdp.AfXdpScenario.RunAsync(rest);
    case "afpacket":
        return await Flow.Benchmarks.Backends.AfPacket.AfPacketBenchmark.RunAsync(rest);
    case "pcap_replay":
        return await Flow.Benchmarks.Backends.Pcap.PcapReplayBenchmark.RunAsync(rest);
    case "switch":
        return await Flow.Benchmarks.Switch.SwitchScenario.RunAsync(rest);
    case "fib":
        return await Flow.Benchmarks.Routing.FibScenario.RunAsync(rest);
    case "router":
        return await Flow.Benchmarks.Router.RouterScenario.RunAsync(rest);
    case "scale":
        return await Flow.Benchmarks.Scale.ScaleScenario.RunAsync(rest);
    case "stack":
        return await Flow.Benchmarks.Net.StackScenario.RunAsync(rest);
    case "micro":
        BenchmarkSwitcher.FromAssembly(typeof(PipelineScenario).Assembly).Run(rest.Length > 0 ? rest : ["--filter", "*"]);
        return 0;
    default:
        Console.Error.WriteLine("usage: Flow.Benchmarks <scenario> [options]");
        Console.Error.WriteLine("scenarios: pipeline, memif, dpdk, afxdp, afpacket, pcap_replay, switch, fib, router, scale, stack, micro");
        return 2;
}
