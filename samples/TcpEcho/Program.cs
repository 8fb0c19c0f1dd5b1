// A TCP echo server on Flow's user-space stack (the f-stack seed's own example), in twenty lines.
//   sudo dotnet run --project samples/TcpEcho -- <interface> <address/prefix>
using System.Net;
using Flow.Backends.AfPacket;
using Flow.Hosting;
using Flow.Net;
using Flow.Net.Tcp;
using Microsoft.Extensions.DependencyInjection;

await using ServiceProvider services = new ServiceCollection().AddFlowHosting().AddFlowNet().AddFlowAfPacket().BuildServiceProvider();
await using FlowStack stack = FlowStack.Load(services, new Dictionary<string, string>
{
    ["backend"] = "af_packet", ["interface"] = args[0], ["address"] = args[1], ["mac"] = File.ReadAllText($"/sys/class/net/{args[0]}/address").Trim(),
});
stack.Start();
using FlowTcpListener listener = stack.CreateTcpListener(new IPEndPoint(IPAddress.Any, 7));
listener.Start();
while (true)
{
    FlowTcpStream connection = await listener.AcceptAsync();
    _ = Task.Run(async () => { await using (connection) { await connection.CopyToAsync(connection); } });
}
