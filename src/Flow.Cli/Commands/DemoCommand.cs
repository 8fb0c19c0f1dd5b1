using System.CommandLine;

namespace Flow.Cli;

/// <summary><c>flow demo router [--duration s]</c> (the quick-start demo) and <c>flow demo switch [--duration s] [--backend af_packet|af_xdp]</c>.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var duration = new Option<double>("--duration", "-d")
        {
            Description = "Seconds of pinging before the demo stops, prints the MAC table and a ping summary, and cleans up.",
            HelpName = "seconds",
            DefaultValueFactory = _ => 10,
        };
        var backend = new Option<string>("--backend")
        {
            Description = "How the switch attaches to the hosts' veths: af_packet or af_xdp.",
            DefaultValueFactory = _ => "af_packet",
        };
        backend.AcceptOnlyFromAmong("af_packet", "af_xdp");
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log graph and worker events to stderr." };
        var switchDemo = new Command("switch", "Four Linux hosts in their own network namespaces, wired over veth to pipelines/switch.json " +
            "(two in VLAN 10, one in VLAN 20, one on the trunk), ping each other while live stats show; then the learned MAC table " +
            "and a ping summary. Needs root; removes everything it made on exit (Ctrl-C and SIGTERM included).")
        {
            duration, backend, verbose,
        };
        switchDemo.SetAction((parse, _) => SwitchDemo.RunAsync(parse.GetValue(duration), parse.GetValue(backend)!, parse.GetValue(verbose)));

        var routerDuration = new Option<double>("--duration", "-d")
        {
            Description = "Seconds the demo runs (checks, then pings across) before it prints leases, NAT sessions and a pass/fail summary, and cleans up.",
            HelpName = "seconds",
            DefaultValueFactory = _ => 15,
        };
        var routerVerbose = new Option<bool>("--verbose", "-v") { Description = "Log graph and worker events to stderr." };
        var routerDemo = new Command("router", "A home router: pipelines/router.json between a LAN host and an ISP, each in a network namespace. " +
            "Flow gets its WAN address from the ISP's dnsmasq, leases the LAN host an address from its own DHCP server, NATs the LAN host's " +
            "pings and web fetches, and maps a port to the LAN host's web service; live stats while it runs, then leases, NAT sessions " +
            "and a pass/fail line per check. Needs root; removes everything it made on exit (Ctrl-C and SIGTERM included).")
        {
            routerDuration, routerVerbose,
        };
        routerDemo.SetAction((parse, _) => RouterDemo.RunAsync(parse.GetValue(routerDuration), parse.GetValue(routerVerbose)));
        return new Command("demo", "Self-contained demos.") { routerDemo, switchDemo };
    }
}
