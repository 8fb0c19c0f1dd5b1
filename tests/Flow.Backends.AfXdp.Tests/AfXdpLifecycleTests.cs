using System.Diagnostics;
using Flow.Backends.AfXdp.Tests.Infrastructure;
using Flow.TestKit;
using Xunit;

namespace Flow.Backends.AfXdp.Tests;

/// <summary>
/// Program attach and detach; ownership: a run killed with SIGKILL, an interface owned by another
/// live process, programs of other applications (by name or attached after a run died).
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class AfXdpLifecycleTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);

    [Fact]
    public void StagesOfOneInterfaceShareAPortAndTheLastDisposeDetachesTheProgram()
    {
        using var veth = new PeerVeth();
        var options = new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb };
        var rx = new AfXdpRx(options);
        var tx = new AfXdpTx(options);

        Assert.Same(rx.Port, tx.Port);
        Assert.Equal("xdpgeneric", veth.LocalXdpMode());
        rx.Dispose();
        Assert.Equal("xdpgeneric", veth.LocalXdpMode());
        tx.Dispose();
        Assert.Null(veth.LocalXdpMode());
    }

    [Fact]
    public void AStageWithOtherPortSettingsForAnOpenInterfaceIsRefusedWithBothSettingsNamed()
    {
        using var veth = new PeerVeth();
        using var rx = new AfXdpRx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb });

        var error = Assert.Throws<ArgumentException>(() => new AfXdpTx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb, FrameCount = 8192 }));
        Assert.Contains("already open with other options", error.Message);
        Assert.Contains("FrameCount = 4096", error.Message);
    }

    [Fact]
    public void AProgramLeftByARunKilledWithSigkillIsReplacedOnTheNextStart()
    {
        using var veth = new PeerVeth();
        using (Process child = StartHolder(veth.Local))
        {
            child.Kill(); // SIGKILL: no Dispose, the program stays attached
            Assert.True(child.WaitForExit(10_000), "the killed child did not exit");
        }
        Assert.Equal("xdpgeneric", veth.LocalXdpMode());

        using var rx = new AfXdpRx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb });
        byte[] frame = Frames.Make(veth.LocalMac, veth.PeerMac, 64, 1);
        KernelPeer.ScapySend(veth, [frame]);
        List<byte[]> received = Receiver.Receive(rx, 1, Limit, f => Frames.IsTest(f));

        Assert.Single(received);
        Assert.Equal(frame, received[0]);
    }

    [Fact]
    public void WhileAnotherLiveProcessOwnsTheInterfaceItsProgramIsNeitherDetachedNorReplaced()
    {
        using var veth = new PeerVeth();
        using Process child = StartHolder(veth.Local);
        try
        {
            uint? held = veth.LocalXdpProgramId();
            Assert.NotNull(held);

            var error = Assert.Throws<AfXdpException>(() => new AfXdpRx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb }));

            Assert.Equal(16, error.Errno); // EBUSY
            Assert.Contains($"process {child.Id} holds", error.Message);
            Assert.Contains($"xdp-loader unload {veth.Local} --all", error.Message);
            Assert.Equal(held, veth.LocalXdpProgramId());
            Assert.False(child.HasExited);
        }
        finally
        {
            child.Kill();
            child.WaitForExit(10_000);
        }
    }

    [Fact]
    public void AnAfXdpProgramOfAnotherApplicationIsNotDetachedThoughItHasTheNameOfFlowsProgram()
    {
        Shell.Require("xdp-loader", "xdp-tools");
        using var veth = new PeerVeth();
        Shell.Run("xdp-loader", "load", "-m", "skb", veth.Local, "/usr/lib/x86_64-linux-gnu/bpf/xsk_def_xdp_prog.o");
        try
        {
            uint? loaded = veth.LocalXdpProgramId();
            Assert.NotNull(loaded);

            var error = Assert.Throws<AfXdpException>(() => new AfXdpRx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb }));

            Assert.Contains("'xsk_def_prog'", error.Message);
            Assert.Contains("does not replace a program it did not load", error.Message);
            Assert.Contains($"xdp-loader unload {veth.Local} --all", error.Message);
            Assert.Equal(loaded, veth.LocalXdpProgramId());
        }
        finally
        {
            Shell.TryRun(TimeSpan.FromSeconds(30), "xdp-loader", "unload", veth.Local, "--all");
        }
    }

    [Fact]
    public void AfterAFlowRunDiedOnlyTheProgramItRecordedIsReplacedNotOneAttachedSince()
    {
        Shell.Require("xdp-loader", "xdp-tools");
        using var veth = new PeerVeth();
        using (Process child = StartHolder(veth.Local))
        {
            child.Kill();
            Assert.True(child.WaitForExit(10_000), "the killed child did not exit");
        }
        // Someone else cleans up and attaches their own AF_XDP program: not the dead run's leftover.
        Shell.Run("xdp-loader", "unload", veth.Local, "--all");
        Shell.Run("xdp-loader", "load", "-m", "skb", veth.Local, "/usr/lib/x86_64-linux-gnu/bpf/xsk_def_xdp_prog.o");
        try
        {
            uint? loaded = veth.LocalXdpProgramId();

            var error = Assert.Throws<AfXdpException>(() => new AfXdpRx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb }));

            Assert.Contains("does not replace a program it did not load", error.Message);
            Assert.Equal(loaded, veth.LocalXdpProgramId());
        }
        finally
        {
            Shell.TryRun(TimeSpan.FromSeconds(30), "xdp-loader", "unload", veth.Local, "--all");
        }
    }

    [Fact]
    public void AForeignXdpProgramIsNeverReplaced()
    {
        Shell.Require("xdp-loader", "xdp-tools");
        using var veth = new PeerVeth();
        Shell.Run("xdp-loader", "load", "-m", "skb", veth.Local, "/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_alw_all.o");
        try
        {
            var error = Assert.Throws<AfXdpException>(() => new AfXdpRx(new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb }));

            Assert.Contains("does not replace a program it did not load", error.Message);
            Assert.Equal("xdpgeneric", veth.LocalXdpMode());
        }
        finally
        {
            Shell.TryRun(TimeSpan.FromSeconds(30), "xdp-loader", "unload", veth.Local, "--all");
        }
    }

    [Fact]
    public void AnInterfaceThatDoesNotExistFailsWithItsName()
    {
        var error = Assert.Throws<AfXdpException>(() => new AfXdpRx(new AfXdpOptions { Interface = "fxnosuch0" }));

        Assert.Contains("'fxnosuch0'", error.Message);
    }

    [Fact]
    public void TheBackendReportsItIsSupportedHere()
    {
        Assert.True(AfXdpPort.IsSupported, AfXdpPort.NotSupportedReason);
        Assert.Null(AfXdpPort.NotSupportedReason);
    }

    /// <summary>Starts this test assembly as a child that opens an AF_XDP port on <paramref name="iface"/> and waits.</summary>
    private static Process StartHolder(string iface)
    {
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        Process child = Shell.Begin(host, "exec", typeof(AfXdpLifecycleTests).Assembly.Location, "--hold-port", iface);
        Task<string?> line = child.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(30)) || line.Result != "ready")
        {
            child.Kill();
            throw new InvalidOperationException($"the port-holding child did not get ready: {child.StandardError.ReadToEnd()}");
        }
        return child;
    }
}
