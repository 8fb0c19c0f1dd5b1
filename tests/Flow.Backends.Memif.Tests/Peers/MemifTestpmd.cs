using Flow.TestKit;

namespace Flow.Backends.Memif.Tests.Peers;

/// <summary>The memif tests' <see cref="Testpmd"/>: one <c>net_memif</c> port, at the prompt.</summary>
internal static class MemifTestpmd
{
    /// <summary>
    /// Starts testpmd with <c>--vdev=net_memif0,&lt;vdev&gt;,socket-abstract=no</c> (a socket file,
    /// as Flow uses by default) in forwarding mode <paramref name="mode"/> (txonly, rxonly, io),
    /// not yet forwarding.
    /// </summary>
    public static Testpmd Start(string vdev, string mode, int queues = 1, string extra = "") =>
        Testpmd.Interactive(new TestpmdOptions
        {
            Devices = [$"net_memif0,{vdev},socket-abstract=no"],
            EalArguments = "--log-level=pmd.net.memif:info",
            Arguments = $"--total-num-mbufs=8192 --forward-mode={mode} --rxq={queues} --txq={queues} {extra}",
        });
}
