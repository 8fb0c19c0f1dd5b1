using System.Diagnostics;
using System.Globalization;
using Flow.TestKit;

namespace Flow.Backends.AfXdp.Tests.Infrastructure;

/// <summary>Drives peer.py (scapy and raw AF_PACKET) inside a <see cref="PeerVeth"/>'s namespace.</summary>
internal static class KernelPeer
{
    private static string Script => Path.Combine(AppContext.BaseDirectory, "Infrastructure", "peer.py");

    /// <summary>Sends <paramref name="frames"/> from the peer end with scapy's sendp.</summary>
    public static void ScapySend(PeerVeth veth, IEnumerable<byte[]> frames)
    {
        Shell.Require(Shell.Python, "python3-scapy");
        veth.InNamespace(TimeSpan.FromSeconds(60), [Shell.Python, Script, "scapy-send", veth.Peer, .. frames.Select(Convert.ToHexString)]);
    }

    /// <summary>Sends <paramref name="count"/> copies of <paramref name="frame"/> (sequence at 14..21) from a process pinned to <paramref name="cpu"/>.</summary>
    public static void Send(PeerVeth veth, int cpu, int count, byte[] frame) =>
        veth.InNamespace(TimeSpan.FromSeconds(60), Shell.Python, Script, "send", veth.Peer, Invariant(cpu), Invariant(count), Convert.ToHexString(frame));

    private static string Invariant(IFormattable value) => value.ToString(null, CultureInfo.InvariantCulture);

    /// <summary>Starts a raw-socket sniffer on the peer end and returns once it is listening.</summary>
    public static Sniffer StartSniffer(PeerVeth veth, int count, TimeSpan timeout) => new(veth, count, timeout);

    public sealed class Sniffer : IDisposable
    {
        private readonly Process _process;
        private readonly List<byte[]> _frames = [];
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TimeSpan _timeout;

        public Sniffer(PeerVeth veth, int count, TimeSpan timeout)
        {
            _timeout = timeout;
            _process = Shell.Begin("ip", "netns", "exec", veth.Namespace, Shell.Python, Script, "sniff", veth.Peer, Invariant(count), Invariant(timeout.TotalSeconds));
            _process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    _ready.TrySetResult();
                    _done.TrySetResult();
                    return;
                }
                if (e.Data == "ready")
                {
                    _ready.TrySetResult();
                }
                else if (e.Data.StartsWith("done", StringComparison.Ordinal))
                {
                    _done.TrySetResult();
                }
                else
                {
                    lock (_frames)
                    {
                        _frames.Add(Convert.FromHexString(e.Data));
                    }
                }
            };
            _process.BeginOutputReadLine();
            if (!_ready.Task.Wait(TimeSpan.FromSeconds(20)))
            {
                throw new TimeoutException("the sniffer in the namespace did not start within 20 s");
            }
        }

        /// <summary>Waits until the sniffer saw its count or timed out, and returns what it saw.</summary>
        public IReadOnlyList<byte[]> Wait()
        {
            _done.Task.Wait(_timeout + TimeSpan.FromSeconds(10));
            lock (_frames)
            {
                return _frames.ToArray();
            }
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }
            _process.WaitForExit(5000);
            _process.Dispose();
        }
    }
}
