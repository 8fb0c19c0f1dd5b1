// An iperf3 server on Flow's user-space stack: Linux's (or any) iperf3 client measures the stack.
//   sudo dotnet run -c Release --project samples/Iperf3OnFlow -- <interface> <address/prefix> [gateway] [port] [af_packet|af_xdp]
// then, from a host that reaches the address:
//   iperf3 -c <address>                  TCP, client to the stack
//   iperf3 -c <address> -R               TCP, the stack sends
//   iperf3 -c <address> -u -b 50M [-R]   UDP at 50 Mbit/s, either way
//   iperf3 -c <address> -P 4 -J          four streams, JSON report
// The interface must be one the kernel does not also serve (no address on it). See README.md.
using Flow.Backends.AfPacket;
using Flow.Backends.AfXdp;
using Flow.Hosting;
using Flow.Net;
using Flow.Samples.Iperf3OnFlow;
using Microsoft.Extensions.DependencyInjection;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Iperf3OnFlow <interface> <address/prefix> [gateway] [port] [af_packet|af_xdp]");
    return 2;
}
string mac = File.ReadAllText($"/sys/class/net/{args[0]}/address").Trim();
string routes = args.Length > 2 && args[2] != "-" ? $$"""[{ "prefix": "0.0.0.0/0", "via": "{{args[2]}}" }]""" : "[]";
int port = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : Iperf3Server.DefaultPort;

var services = new ServiceCollection().AddFlowHosting().AddFlowNet().AddFlowAfPacket().AddFlowAfXdp();
await using ServiceProvider provider = services.BuildServiceProvider();
await using FlowStack stack = FlowStack.Load(provider, new Dictionary<string, string>
{
    ["backend"] = args.Length > 4 ? args[4] : "af_packet", ["interface"] = args[0], ["address"] = args[1], ["mac"] = mac, ["routes"] = routes,
});
stack.Start();

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
Console.WriteLine($"iperf3 server on {args[1]} port {port} ({args[0]}); Ctrl-C ends");
await new Iperf3Server(stack, port, Console.Out).RunAsync(stop.Token);
return 0;
