namespace Flow.Cli;

/// <summary>
/// The Linux tools the router demo's hosts run: ip (iproute2), busybox (udhcpc, ping, wget,
/// httpd), ethtool and dnsmasq. A fresh Debian machine may lack them; the demo runs as root anyway, so
/// it installs the missing packages with apt-get, saying so, rather than leave a newcomer with
/// a list of packages to find.
/// </summary>
internal static class DemoTools
{
    /// <summary>Paths of busybox and dnsmasq, or a message saying what is missing and could not be installed.</summary>
    public static (string? Busybox, string? Dnsmasq, string? Missing) Require()
    {
        var packages = new List<string>();
        if (HostCommand.Find("ip") is null)
        {
            packages.Add("iproute2");
        }
        if (HostCommand.Find("busybox") is null)
        {
            packages.Add("busybox");
        }
        if (HostCommand.Find("ethtool") is null)
        {
            packages.Add("ethtool");
        }
        if (HostCommand.Find("dnsmasq") is null)
        {
            // dnsmasq-base: the program without the system service the dnsmasq package starts.
            packages.Add("dnsmasq-base");
        }
        if (packages.Count > 0)
        {
            string? aptGet = HostCommand.Find("apt-get");
            if (aptGet is null)
            {
                return (null, null, $"the demo's hosts need {string.Join(", ", packages)} (packages of those names), and there is no apt-get to install them");
            }
            Console.WriteLine($"flow demo router: installing {string.Join(" ", packages)} for the demo's hosts (apt-get install)");
            if (!Install(aptGet, packages))
            {
                return (null, null, $"could not install {string.Join(" ", packages)} with apt-get; install them and run the demo again");
            }
        }
        string? busybox = HostCommand.Find("busybox");
        string? dnsmasq = HostCommand.Find("dnsmasq");
        return busybox is null || dnsmasq is null || HostCommand.Find("ip") is null || HostCommand.Find("ethtool") is null
            ? (null, null, "busybox, dnsmasq, ethtool or ip is still missing after apt-get install")
            : (busybox, dnsmasq, null);
    }

    private static bool Install(string aptGet, List<string> packages)
    {
        Environment.SetEnvironmentVariable("DEBIAN_FRONTEND", "noninteractive");
        string[] install = ["install", "-y", "-qq", "--no-install-recommends", .. packages];
        if (HostCommand.TryRun(TimeSpan.FromMinutes(5), aptGet, install).ExitCode == 0)
        {
            return true;
        }
        // A fresh machine may never have fetched the package lists.
        return HostCommand.TryRun(TimeSpan.FromMinutes(5), aptGet, "update", "-qq").ExitCode == 0
            && HostCommand.TryRun(TimeSpan.FromMinutes(5), aptGet, install).ExitCode == 0;
    }
}
