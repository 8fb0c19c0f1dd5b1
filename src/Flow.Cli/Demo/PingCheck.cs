namespace Flow.Cli;

/// <summary>One pair the demo pings, whether the switch's VLANs should let it through, and the echoes counted so far.</summary>
internal sealed class PingCheck(int from, string address, string label, bool shouldReach)
{
    private int _sent;
    private int _received;

    public int From { get; } = from;

    public string Address { get; } = address;

    public string Label { get; } = label;

    public bool ShouldReach { get; } = shouldReach;

    public int Sent => Volatile.Read(ref _sent);

    public int Received => Volatile.Read(ref _received);

    public void Add(int sent, int received)
    {
        Interlocked.Add(ref _sent, sent);
        Interlocked.Add(ref _received, received);
    }

    /// <summary>
    /// h1↔h2 and h1/h2→h4 share VLAN 10 (h4 untagged on the trunk's native VLAN); h3 is in VLAN
    /// 20 with an address in VLAN 10's subnet, so only the switch keeps it apart from h1 and h2; h3→h4
    /// in VLAN 20 crosses the trunk tagged when h4 has a VLAN 20 interface.
    /// </summary>
    public static List<PingCheck> For(DemoNetwork network)
    {
        string[] a = network.Addresses;
        var checks = new List<PingCheck>
        {
            new(0, a[1], $"h1 -> h2 {a[1]} (VLAN 10)", true),
            new(0, a[3], $"h1 -> h4 {a[3]} (VLAN 10, trunk)", true),
            new(1, a[3], $"h2 -> h4 {a[3]} (VLAN 10, trunk)", true),
            new(0, a[2], $"h1 -> h3 {a[2]} (VLAN 10 -> 20)", false),
            new(1, a[2], $"h2 -> h3 {a[2]} (VLAN 10 -> 20)", false),
            new(2, a[0], $"h3 -> h1 {a[0]} (VLAN 20 -> 10)", false),
        };
        if (network.TrunkVlan20Address is { } vlan20)
        {
            checks.Add(new PingCheck(2, vlan20, $"h3 -> h4 {vlan20} (VLAN 20, tagged)", true));
        }
        return checks;
    }
}
