using System.Globalization;
using Flow.Protocols.Ethernet;
using Flow.Stages.Vlan;

namespace Flow.Stages.Switching.Internal;

/// <summary>
/// The switch's control commands (<c>mac show|flush|add|del</c>, <c>port show|set</c>,
/// <c>vlan show</c>), declared by <see cref="L2Forwarder"/> (<see cref="IControlledStage"/>) and
/// served by any control endpoint of a graph with a switch (docs/control.md). The endpoint
/// checks arguments against these declarations; what needs the switch's state (port names,
/// which VLANs a port carries) is checked here, naming the bad value.
/// </summary>
internal static class SwitchControlCommands
{
    /// <summary>A VLAN id, 1 to 4094 (<see cref="SwitchPortTable.IsUsableVlan"/>).</summary>
    private static readonly ControlValue s_vlan = new("N", (name, text) =>
        !ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ushort vlan)
            ? $"{name} '{text}' is not a VLAN id (a number from {SwitchPortTable.MinVlan} to {SwitchPortTable.MaxVlan})"
        : !SwitchPortTable.IsUsableVlan(vlan) ? $"VLAN {vlan} is out of range {SwitchPortTable.MinVlan} to {SwitchPortTable.MaxVlan}"
        : null);

    private static readonly ControlValue s_mac = new("mac", (_, text) =>
        MacAddress.TryParse(text, out MacAddress _) ? null : $"'{text}' is not a MAC address; write it as 02:00:00:00:00:0a");

    private static readonly ControlValue s_port = ControlValue.AnyText("name");

    public static IReadOnlyList<IControlCommand> All { get; } =
    [
        new SwitchControlCommand("mac show", "The switch's MAC table a page at a time: address, VLAN, port, static or dynamic, age; " +
            "optionally of one VLAN and/or port. 'limit' rows (default 1000), from table slot 'start' (default 0; a reply with more names the next).",
            [
                new("vlan", "Only entries of this VLAN.", s_vlan),
                new("port", "Only entries learned on (or placed on) this port.", s_port),
                new("start", "The table slot to list from: the one a previous page named (default 0).", ControlValue.Integer(0, int.MaxValue, "slot")),
                new("limit", $"Most rows of this page (default 1000, at most {MaxMacShowLimit}).", ControlValue.Integer(1, MaxMacShowLimit)),
            ], MacShowAsync),
        new SwitchControlCommand("mac flush", "Removes dynamic MAC entries (all, or of one VLAN and/or port); static entries stay.",
            [new("vlan", "Only entries of this VLAN.", s_vlan), new("port", "Only entries on this port.", s_port)], MacFlushAsync),
        new SwitchControlCommand("mac add", "Adds a static MAC entry: the address in the VLAN is on the port for good (never ages, never moves).",
            [
                new("mac", "The address, e.g. 02:00:00:00:00:0a.", s_mac) { Positional = true, Required = true },
                new("vlan", "The VLAN the entry is in.", s_vlan) { Required = true },
                new("port", "The port frames to the address leave by.", s_port) { Required = true },
            ], MacAddAsync),
        new SwitchControlCommand("mac del", "Removes the MAC entry (static or dynamic) of an address, in one VLAN or in all.",
            [
                new("mac", "The address, e.g. 02:00:00:00:00:0a.", s_mac) { Positional = true, Required = true },
                new("vlan", "Only in this VLAN (default: every VLAN).", s_vlan),
            ], MacDelAsync),
        new SwitchControlCommand("port show", "The switch's ports: id, VLAN mode, VLANs, native VLAN, and frame counters.",
            [], PortShowAsync),
        new SwitchControlCommand("port set", "Changes a port's VLAN mode: 'port set <port> access <vlan>' or 'port set <port> trunk <vlans> [--native N]'. " +
            "The port's dynamic MAC entries are flushed.",
            [
                new("port", "The port's name (see 'port show').", s_port) { Positional = true, Required = true },
                new("mode", "access (one VLAN, untagged) or trunk (tagged VLANs, and optionally a native one).", ControlValue.OneOf("access", "trunk"))
                    { Positional = true, Required = true },
                new("vlans", "access: the port's VLAN (e.g. 20). trunk: the VLANs it carries tagged, e.g. 10,20,30-39, or all (the default).",
                    ControlValue.AnyText("vlans")) { Positional = true },
                new("vlan", "access: the port's VLAN (the same as 'vlans' for an access port).", s_vlan),
                new("native", "trunk: the VLAN of untagged frames (sent untagged). Default: none; untagged frames are dropped.", s_vlan),
            ], PortSetAsync),
        new SwitchControlCommand("vlan show", "Per-VLAN counters (VLANs that saw traffic) and each VLAN's member ports.",
            [], VlanShowAsync),
    ];

    /// <summary>Rows one 'mac show' reply holds at most: the reply stays a few hundred KiB.</summary>
    internal const int MaxMacShowLimit = 10_000;

    private static async Task<ControlReply> MacShowAsync(SwitchControl control, ControlRequest request)
    {
        ushort? vlan = Vlan(request, "vlan");
        string? port = request.Optional("port");
        if (port is not null)
        {
            CheckPort(await control.GetPortsAsync().ConfigureAwait(false), port);
        }
        int start = request.OptionalInteger("start", 0, int.MaxValue) ?? 0;
        int limit = request.OptionalInteger("limit", 1, MaxMacShowLimit) ?? 1000;
        MacTablePage page = await control.ShowMacTablePageAsync(start, limit, vlan, port).ConfigureAwait(false);
        var rows = new List<IReadOnlyList<string>>();
        foreach (MacEntry e in page.Entries)
        {
            rows.Add([e.Mac.ToString(), Text(e.Vlan), e.Port ?? $"id {Text(e.PortId)}", e.IsStatic ? "static" : "dynamic",
                e.IsStatic ? "-" : $"{Text((long)e.Age.TotalSeconds)}s"]);
        }
        bool whole = start == 0 && page.Next is null && vlan is null && port is null;
        string message = whole ? $"{rows.Count} entries" : $"{rows.Count} of {page.Count} entries";
        if (page.Next is int next)
        {
            message += $"; more from start {Text(next)}";
        }
        return ControlReply.Table(["mac", "vlan", "port", "type", "age"], rows, $"switch '{control.Forwarder}': {message}");
    }

    private static async Task<ControlReply> MacFlushAsync(SwitchControl control, ControlRequest request)
    {
        int flushed = await control.FlushAsync(Vlan(request, "vlan"), request.Optional("port")).ConfigureAwait(false);
        return ControlReply.Text($"switch '{control.Forwarder}': flushed {flushed} dynamic entries; static entries stay (remove them with 'mac del')");
    }

    private static async Task<ControlReply> MacAddAsync(SwitchControl control, ControlRequest request)
    {
        MacAddress mac = Mac(request.Required("mac"));
        ushort vlan = Vlan(request, "vlan") ?? throw new ControlCommandException("'mac add' needs a VLAN (--vlan N)");
        string port = request.Optional("port") ?? throw new ControlCommandException("'mac add' needs a port (--port P)");
        await control.AddStaticAsync(vlan, mac, port).ConfigureAwait(false);
        return ControlReply.Text($"switch '{control.Forwarder}': {mac} in VLAN {Text(vlan)} is on port {port} (static)");
    }

    private static async Task<ControlReply> MacDelAsync(SwitchControl control, ControlRequest request)
    {
        MacAddress mac = Mac(request.Required("mac"));
        ushort? vlan = Vlan(request, "vlan");
        int removed = await control.RemoveAsync(vlan, mac).ConfigureAwait(false);
        if (removed == 0)
        {
            throw new ControlCommandException($"the MAC table has no entry for {mac} {(vlan is null ? "in any VLAN" : $"in VLAN {Text(vlan.Value)}")}");
        }
        return ControlReply.Text($"switch '{control.Forwarder}': removed {removed} {(removed == 1 ? "entry" : "entries")} for {mac}");
    }

    private static async Task<ControlReply> PortShowAsync(SwitchControl control, ControlRequest request)
    {
        SwitchPortTable ports = await control.GetPortsAsync().ConfigureAwait(false);
        IReadOnlyList<SwitchPortCounters> counters = await control.PortCountersAsync().ConfigureAwait(false);
        var rows = new List<IReadOnlyList<string>>();
        for (int p = 0; p < ports.Count; p++)
        {
            SwitchPortOptions port = ports.Ports[p];
            SwitchPortCounters c = counters[p];
            bool access = port.Mode == VlanPortMode.Access;
            rows.Add([port.Name, Text(ports.Ids[p]), access ? "access" : "trunk",
                access ? Text(port.Vlan) : port.AllowedVlans.Count == 0 ? "all" : string.Join(",", port.AllowedVlans.Select(v => Text(v))),
                access || port.NativeVlan is null ? "-" : Text(port.NativeVlan.Value),
                Text(c.Received), Text(c.ReceiveDrops), Text(c.SentUnicast), Text(c.SentFlooded)]);
        }
        return ControlReply.Table(["port", "id", "mode", "vlans", "native", "received", "rx drops", "unicast out", "flooded out"], rows,
            $"switch '{control.Forwarder}': {ports.Count} ports");
    }

    private static async Task<ControlReply> PortSetAsync(SwitchControl control, ControlRequest request)
    {
        string port = request.Required("port");
        string mode = request.Required("mode");
        SwitchPortOptions options;
        if (mode == "access")
        {
            if (request.Optional("native") is not null)
            {
                throw new ControlCommandException("an access port has one VLAN; 'native' applies to trunk ports");
            }
            string? vlans = request.Optional("vlans");
            if (vlans is not null && request.Optional("vlan") is not null)
            {
                throw new ControlCommandException("an access port has one VLAN; give it once (port set <port> access <vlan>)");
            }
            if (vlans is not null && (vlans == "all" || vlans.AsSpan().IndexOfAny(',', '-') >= 0))
            {
                throw new ControlCommandException($"an access port has one VLAN; '{vlans}' is a list (make the port a trunk: port set {port} trunk {vlans})");
            }
            ushort vlan = Vlan(request, "vlan") ?? Vlan(request, "vlans") ??
                throw new ControlCommandException("an access port needs its VLAN: port set <port> access <vlan>");
            options = SwitchPortOptions.Access(port, vlan);
        }
        else if (mode == "trunk")
        {
            if (request.Optional("vlan") is not null)
            {
                throw new ControlCommandException("a trunk port carries 'vlans' (a list such as 10,20,30-39, or all) and a 'native' VLAN; 'vlan' applies to access ports");
            }
            options = SwitchPortOptions.Trunk(port, VlanList(request.Optional("vlans") ?? "all"), Vlan(request, "native"));
        }
        else
        {
            throw new ControlCommandException($"mode '{mode}' is neither access nor trunk");
        }
        await control.SetPortAsync(options).ConfigureAwait(false);
        string what = mode == "access"
            ? $"access, VLAN {Text(options.Vlan)}"
            : $"trunk, VLANs {(options.AllowedVlans.Count == 0 ? "all" : string.Join(",", options.AllowedVlans.Select(v => Text(v))))}" +
              (options.NativeVlan is ushort n ? $", native {Text(n)}" : ", no native VLAN");
        return ControlReply.Text($"switch '{control.Forwarder}': port {port} is now {what}; its dynamic MAC entries were flushed");
    }

    private static async Task<ControlReply> VlanShowAsync(SwitchControl control, ControlRequest request)
    {
        SwitchPortTable ports = await control.GetPortsAsync().ConfigureAwait(false);
        IReadOnlyList<SwitchVlanCounters> vlans = await control.VlanCountersAsync().ConfigureAwait(false);
        var rows = new List<IReadOnlyList<string>>();
        foreach (SwitchVlanCounters v in vlans)
        {
            string members = string.Join(",", ports.Members(v.Vlan).ToArray().Select(p => ports.Ports[p].Name));
            rows.Add([Text(v.Vlan), Text(v.Received), Text(v.Unicast), Text(v.Flooded), Text(v.FloodCopies), Text(v.Dropped), members]);
        }
        return ControlReply.Table(["vlan", "received", "unicast", "flooded", "flood copies", "dropped", "ports"], rows,
            $"switch '{control.Forwarder}': {rows.Count} VLANs with traffic");
    }

    private static void CheckPort(SwitchPortTable ports, string port)
    {
        if (ports.IndexOf(port) < 0)
        {
            throw new ControlCommandException($"no switch port is named '{port}'; the ports are {string.Join(", ", ports.Names)}");
        }
    }

    /// <summary>The argument as a VLAN id, or null when not given; the endpoint checked it against <see cref="s_vlan"/>, but a command may be called directly too.</summary>
    private static ushort? Vlan(ControlRequest request, string name)
    {
        string? text = request.Optional(name);
        if (text is null)
        {
            return null;
        }
        return s_vlan.Check(name, text) is string problem
            ? throw new ControlCommandException(problem)
            : ushort.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
    }

    /// <summary><c>all</c>, or a list such as <c>10,20,30-39</c>; empty means all.</summary>
    internal static IReadOnlyList<ushort> VlanList(string text)
    {
        if (text.Trim() == "all")
        {
            return [];
        }
        var vlans = new SortedSet<ushort>();
        foreach (string item in text.Split(',', StringSplitOptions.TrimEntries))
        {
            string[] range = item.Split('-', StringSplitOptions.TrimEntries);
            if (range.Length is < 1 or > 2 || !range.All(r => ushort.TryParse(r, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            {
                throw new ControlCommandException($"VLAN list '{text}': '{item}' is neither a VLAN id nor a range such as 30-39");
            }
            ushort low = ushort.Parse(range[0], CultureInfo.InvariantCulture);
            ushort high = ushort.Parse(range[^1], CultureInfo.InvariantCulture);
            if (low > high)
            {
                throw new ControlCommandException($"VLAN list '{text}': range '{item}' runs backwards");
            }
            if (!SwitchPortTable.IsUsableVlan(low) || !SwitchPortTable.IsUsableVlan(high))
            {
                throw new ControlCommandException($"VLAN list '{text}': '{item}' is out of range {SwitchPortTable.MinVlan} to {SwitchPortTable.MaxVlan}");
            }
            for (int v = low; v <= high; v++)
            {
                vlans.Add((ushort)v);
            }
        }
        return vlans.ToArray();
    }

    /// <summary>An address in one of <see cref="MacAddress.TryParse"/>'s spellings.</summary>
    internal static MacAddress Mac(string text) =>
        MacAddress.TryParse(text, out MacAddress mac) ? mac : throw new ControlCommandException($"'{text}' is not a MAC address; write it as 02:00:00:00:00:0a");

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
