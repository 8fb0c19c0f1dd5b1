// HttpClient whose connections are TCP streams of Flow's user-space stack.
//   sudo dotnet run --project samples/HttpClientOnFlow -- <interface> <address/prefix> <gateway> <url>
using Flow.Backends.AfPacket;
using Flow.Hosting;
using Flow.Net;
using Microsoft.Extensions.DependencyInjection;

if (args.Length < 4)
{
    Console.Error.WriteLine("usage: HttpClientOnFlow <interface> <address/prefix> <gateway> <url>");
    return 2;
}
await using ServiceProvider services = new ServiceCollection().AddFlowHosting().AddFlowNet().AddFlowAfPacket().BuildServiceProvider();
await using FlowStack stack = FlowStack.Load(services, new Dictionary<string, string>
{
    ["backend"] = "af_packet",
    ["interface"] = args[0],
    ["address"] = args[1],
    ["mac"] = File.ReadAllText($"/sys/class/net/{args[0]}/address").Trim(),
    ["routes"] = $$"""[{ "prefix": "0.0.0.0/0", "via": "{{args[2]}}" }]""",
});
stack.Start();
using var client = new HttpClient(FlowHttp.CreateHandler(stack));
using HttpResponseMessage response = await client.GetAsync(args[3]);
Console.WriteLine($"{(int)response.StatusCode} {response.ReasonPhrase}, {(await response.Content.ReadAsByteArrayAsync()).Length} bytes");
return response.IsSuccessStatusCode ? 0 : 1;
