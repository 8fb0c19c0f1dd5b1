using System.Globalization;
using Flow.Protocols.Ethernet;
using Flow.Stages.Vlan;

namespace Flow.Stages.Switching.Internal;

/// <summary>
/// The switch's control commands (<c>mac show|flush|add|del</c>, <c>port show|set</c>,
/// <c>vlan show</c>), registered by <see cref="StagesRegistration.AddFlowSwitching"/> and
/// served by any control endpoint (docs/control.md). Arguments arrive as text and are
/// validated here, naming the bad value.
/// </summary>
internal static class SwitchControlCommands
{
    public static IReadOnlyList<IControlCommand> All { get; } =
    [
        new SwitchControlCommand("mac show", "The switch's MAC table a page at a time: address, VLAN, port, static or dynamic, age; " +
            "optionally of one VLAN and/or port. 'limit' rows (default 1000), from table slot 'start' (default 0; a reply with more names the next).",
            ["vlan", "port", "start", "limit"], MacShowAsync),
        new SwitchControlCommand("mac flush", "Removes dynamic MAC entries (all, or of one VLAN and/or port); static entries stay.",
            ["vlan", "port"], MacFlushAsync),
        new SwitchControlCommand("mac add", "Adds a static MAC entry: the address in the VLAN is on the port for good (never ages, never moves).",
            ["mac", "vlan", "port"], MacAddAsync),
        new SwitchControlCommand("mac del", "Removes the MAC entry (static or dynamic) of an address, in one VLAN or in all.",
            ["mac", "vlan"], MacDelAsync),
        new SwitchControlCommand("port show", "The switch's ports: id, VLAN mode, VLANs, native VLAN, and frame counters.",
            [], PortShowAsync),
        new SwitchControlCommand("port set", "Changes a port's VLAN mode: access with one VLAN, or trunk with VLANs (default all) and a native VLAN.",
            ["port", "mode", "vlan", "vlans", "native"], PortSetAsync),
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
            if (request.Optional("vlans") is not null || request.Optional("native") is not null)
            {
                throw new ControlCommandException("an access port has one VLAN ('vlan'); 'vlans' and 'native' apply to trunk ports");
            }
            ushort vlan = Vlan(request, "vlan") ?? throw new ControlCommandException("an access port needs its VLAN: port set <port> access <vlan>");
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

    private static ushort? Vlan(ControlRequest request, string name)
    {
        string? text = request.Optional(name);
        if (text is null)
        {
            return null;
        }
        if (!ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ushort vlan))
        {
            throw new ControlCommandException($"{name} '{text}' is not a VLAN id (a number from {SwitchPortTable.MinVlan} to {SwitchPortTable.MaxVlan})");
        }
        if (!SwitchPortTable.IsUsableVlan(vlan))
        {
            throw new ControlCommandException($"VLAN {vlan} is out of range {SwitchPortTable.MinVlan} to {SwitchPortTable.MaxVlan}");
        }
        return vlan;
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

    /// <summary><c>02:00:00:00:00:0a</c>, <c>02-00-00-00-00-0A</c> or <c>0200.0000.000a</c>.</summary>
    internal static MacAddress Mac(string text)
    {
        string hex = text.Trim();
        bool colons = hex.Length == 17 && (hex.Split(':').Length == 6 || hex.Split('-').Length == 6) &&
            hex.Split(hex[2]).All(p => p.Length == 2);
        bool dots = hex.Length == 14 && hex.Split('.') is { Length: 3 } groups && groups.All(g => g.Length == 4);
        Span<byte> bytes = stackalloc byte[6];
        if ((colons || dots) &&
            Convert.FromHexString(hex.Replace(":", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).Replace(".", "", StringComparison.Ordinal),
                bytes, out _, out int written) == System.Buffers.OperationStatus.Done && written == 6)
        {
            return new MacAddress(bytes);
        }
        throw new ControlCommandException($"'{text}' is not a MAC address; write it as 02:00:00:00:00:0a");
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
