// ASP.NET Core served by Kestrel over Flow's user-space stack instead of kernel sockets.
//   sudo dotnet run --project samples/KestrelOnFlow -- <interface> <address/prefix> [gateway] [af_xdp|af_packet]
//   curl http://<address>:8080/
using Flow.Backends.AfPacket;
using Flow.Backends.AfXdp;
using Flow.Hosting;
using Flow.Net;
using Flow.Net.Kestrel;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: KestrelOnFlow <interface> <address/prefix> [gateway] [af_xdp|af_packet]");
    return 2;
}
string address = args[1].Split('/')[0];
// The stack has a provider of its own: it owns the stack's tables, apart from the web app's services.
#pragma warning disable ASP0000
await using ServiceProvider services = new ServiceCollection().AddFlowHosting().AddFlowNet().AddFlowAfPacket().AddFlowAfXdp().BuildServiceProvider();
#pragma warning restore ASP0000
await using FlowStack stack = FlowStack.Load(services, new Dictionary<string, string>
{
    ["backend"] = args.Length > 3 ? args[3] : "af_packet",
    ["interface"] = args[0],
    ["address"] = args[1],
    ["mac"] = File.ReadAllText($"/sys/class/net/{args[0]}/address").Trim(),
    ["routes"] = args.Length > 2 ? $$"""[{ "prefix": "0.0.0.0/0", "via": "{{args[2]}}" }]""" : "[]",
});
stack.Start();

WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseFlow(stack);
WebApplication app = builder.Build();
app.MapGet("/", () => "Hello from Kestrel on Flow's user-space stack\n");
app.Urls.Add($"http://{address}:8080");
await app.RunAsync();
return 0;
