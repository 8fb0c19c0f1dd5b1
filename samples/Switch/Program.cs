using System.Globalization;
using Flow;
using Flow.Samples.Switch;
using Flow.Stages.Switching;

// A 4-port VLAN switch built in code, with four simulated hosts on in-memory ports (see
// DemoSwitch for the topology). Runs the hosts' traffic through the switch, then prints the
// MAC table, the per-port and per-VLAN counters and what each host received.
long frames = args.Length > 0 && long.TryParse(args[0], CultureInfo.InvariantCulture, out long f) ? f : 100_000;

var demo = new DemoSwitch(frames);
using FlowGraph graph = demo.Graph;
Console.WriteLine($"Flow switch demo: 4 ports (host_a, host_b access 10; host_c access 20; uplink trunk 10,20), {frames:N0} frames per flow");
await graph.RunAsync();

Console.WriteLine();
Console.WriteLine("MAC table:");
foreach (MacEntry entry in await demo.Control.ShowMacTableAsync())
{
    Console.WriteLine($"  {entry}");
}
Console.WriteLine();
Console.WriteLine($"{"port",-8} {"received",12} {"rx drops",10} {"unicast",12} {"flooded",12}");
foreach (SwitchPortCounters port in await demo.Control.PortCountersAsync())
{
    Console.WriteLine($"{port.Port,-8} {port.Received,12:N0} {port.ReceiveDrops,10:N0} {port.SentUnicast,12:N0} {port.SentFlooded,12:N0}");
}
Console.WriteLine();
Console.WriteLine($"{"vlan",-8} {"received",12} {"unicast",12} {"flooded",12} {"copies",12} {"dropped",10}");
foreach (SwitchVlanCounters vlan in await demo.Control.VlanCountersAsync())
{
    Console.WriteLine($"{vlan.Vlan,-8} {vlan.Received,12:N0} {vlan.Unicast,12:N0} {vlan.Flooded,12:N0} {vlan.FloodCopies,12:N0} {vlan.Dropped,10:N0}");
}
Console.WriteLine();
string[] names = ["a", "b", "c", "d"];
for (int i = 0; i < 4; i++)
{
    Console.WriteLine($"host {names[i]}: sent {demo.Hosts[i].Sent:N0}, received {demo.Sinks[i].ForMe:N0} for it and {demo.Sinks[i].NotForMe:N0} flooded for others");
}
GraphStats stats = graph.GetStats();
Console.WriteLine();
Console.WriteLine($"conservation {(stats.IsBalanced ? "holds" : "BROKEN")} for every stage");
return stats.IsBalanced ? 0 : 1;
