using System.Diagnostics;

namespace Flow.TestKit;

/// <summary>scapy as the peer in a namespace: send frames, or sniff a bounded number of them.</summary>
public static class Scapy
{
    /// <summary>Sends the frames a Python list expression builds; returns the hex of each frame sent.</summary>
    public static string[] Send(NetnsFixture ns, string iface, string framesExpression)
    {
        string script = $"""
            from scapy.all import *
            frames = ({framesExpression})
            for f in frames:
                print(bytes(f).hex())
            sendp(frames, iface='{iface}', verbose=0)
            """;
        return ns.Exec(Shell.Python, "-c", script).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>
    /// Starts a sniffer of frames with <paramref name="etherType"/> and returns once it is
    /// capturing; <see cref="Collect"/> then gives the hex of what it saw.
    /// </summary>
    public static Process BeginSniff(NetnsFixture ns, string iface, int count, int etherType, int timeoutSeconds = 20)
    {
        string script = $"""
            from scapy.all import *
            got = sniff(iface='{iface}', count={count}, timeout={timeoutSeconds},
                        lfilter=lambda p: p.haslayer(Ether) and p[Ether].type == {etherType},
                        started_callback=lambda: print('READY', flush=True))
            for p in got:
                print(bytes(p).hex())
            """;
        Process process = ns.Begin(Shell.Python, "-c", script);
        Task<string?> line = process.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(30)) || line.Result != "READY")
        {
            throw new InvalidOperationException($"scapy sniffer did not start: {line.Result} {process.StandardError.ReadToEnd()}");
        }
        return process;
    }

    public static string[] Collect(Process sniffer, int timeoutSeconds = 40)
    {
        Task<string> rest = sniffer.StandardOutput.ReadToEndAsync();
        if (!sniffer.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            throw new TimeoutException("scapy sniffer did not finish");
        }
        return rest.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
