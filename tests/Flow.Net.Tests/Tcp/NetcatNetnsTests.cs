using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Flow.Net.Tcp;
using Flow.Net.Udp;
using Flow.TestKit;
using Xunit;

namespace Flow.Net.Tests.Tcp;

/// <summary>
/// OpenBSD netcat on the Linux host (<see cref="StackHost"/>) against echo servers on Flow's
/// stack: what comes back is compared with what went, byte for byte.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class NetcatNetnsTests
{
    [Fact]
    public async Task NetcatGetsTwoMegabytesBackIntactOverTcp()
    {
        using var host = new StackHost();
        Shell.Require("nc", "netcat-openbsd");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using FlowTcpListener listener = host.Stack.CreateTcpListener(new IPEndPoint(IPAddress.Any, 7));
        listener.Start();
        Task server = EchoOneConnectionAsync(listener, stop.Token);

        byte[] data = RandomNumberGenerator.GetBytes(2 << 20);
        string input = Path.GetTempFileName(), output = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(input, data);
            // -N: shut down sending at the input's end, so the echo server sees the end, finishes and closes; nc exits then.
            ShellResult nc = host.Host.TryExec(TimeSpan.FromSeconds(40), "bash", "-c", $"nc -N -w 20 {StackHost.StackAddress} 7 < {input} > {output}");
            Assert.True(nc.ExitCode == 0, $"nc exited with {nc.ExitCode}: {nc.Output}");
            byte[] back = await File.ReadAllBytesAsync(output);
            Assert.Equal(data.Length, back.Length);
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(back));
        }
        finally
        {
            File.Delete(input);
            File.Delete(output);
        }
        await server.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task NetcatGetsItsDatagramsBackOverUdp()
    {
        using var host = new StackHost();
        Shell.Require("nc", "netcat-openbsd");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using FlowUdpSocket socket = host.Stack.CreateUdpSocket();
        socket.Bind(new IPEndPoint(IPAddress.Any, 7));
        Task server = EchoDatagramsAsync(socket, stop.Token);

        // nc sends each line it reads as one datagram (a pause between them keeps them apart) and prints what comes back until 2 s pass quietly.
        ShellResult nc = host.Host.TryExec(TimeSpan.FromSeconds(20), "bash", "-c",
            $"for i in 1 2 3; do echo flow-datagram-$i; sleep 0.2; done | nc -u -w 2 {StackHost.StackAddress} 7");
        Assert.Equal("flow-datagram-1\nflow-datagram-2\nflow-datagram-3\n", nc.StandardOutput);
        await stop.CancelAsync();
        await server.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static async Task EchoOneConnectionAsync(FlowTcpListener listener, CancellationToken cancellationToken)
    {
        await using FlowTcpStream stream = await listener.AcceptAsync(cancellationToken);
        await stream.CopyToAsync(stream, cancellationToken);
    }

    private static async Task EchoDatagramsAsync(FlowUdpSocket socket, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[2048];
        try
        {
            while (true)
            {
                SocketReceiveFromResult received = await socket.ReceiveFromAsync(buffer, cancellationToken);
                await socket.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), received.RemoteEndPoint, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
