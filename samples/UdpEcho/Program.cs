// A UDP echo server on Flow's user-space stack, the f-stack seed's own example.
//   sudo dotnet run --project samples/UdpEcho -- <interface> <address/prefix> [gateway] [af_xdp|af_packet]
// The interface must be one the kernel does not also serve (no address on it).
using System.Net;
using System.Net.Sockets;
using Flow.Backends.AfPacket;
using Flow.Backends.AfXdp;
using Flow.Hosting;
using Flow.Net;
using Flow.Net.Udp;
using Microsoft.Extensions.DependencyInjection;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: UdpEcho <interface> <address/prefix> [gateway] [af_xdp|af_packet]");
    return 2;
}
string mac = File.ReadAllText($"/sys/class/net/{args[0]}/address").Trim();
string routes = args.Length > 2 ? $$"""[{ "prefix": "0.0.0.0/0", "via": "{{args[2]}}" }]""" : "[]";

var services = new ServiceCollection().AddFlowHosting().AddFlowNet().AddFlowAfPacket().AddFlowAfXdp();
await using ServiceProvider provider = services.BuildServiceProvider();
await using FlowStack stack = FlowStack.Load(provider, new Dictionary<string, string>
{
    ["backend"] = args.Length > 3 ? args[3] : "af_packet", ["interface"] = args[0], ["address"] = args[1], ["mac"] = mac, ["routes"] = routes,
});
stack.Start();

await using FlowUdpSocket socket = stack.CreateUdpSocket();
socket.Bind(new IPEndPoint(IPAddress.Any, 7));
Console.WriteLine($"echoing UDP on {args[1]} port 7 ({args[0]}); Ctrl-C ends");
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
byte[] buffer = new byte[2048];
try
{
    while (true)
    {
        SocketReceiveFromResult received = await socket.ReceiveFromAsync(buffer, stop.Token);
        await socket.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), received.RemoteEndPoint, stop.Token);
    }
}
catch (OperationCanceledException)
{
    return 0;
}
