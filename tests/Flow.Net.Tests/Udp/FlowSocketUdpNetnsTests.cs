using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Flow.TestKit;
using Xunit;

namespace Flow.Net.Tests.Udp;

/// <summary>A datagram <see cref="FlowSocket"/> against Linux's UDP in a namespace (<see cref="StackHost"/>): SendTo and ReceiveFrom both ways, checked byte for byte.</summary>
[Collection(nameof(NetnsCollection))]
public sealed class FlowSocketUdpNetnsTests
{
    private static readonly IPAddress s_linux = IPAddress.Parse(StackHost.HostAddress);

    [Fact]
    public async Task SendToAndReceiveFromExchangeDatagramsWithALinuxEchoServer()
    {
        using var host = new StackHost();
        Process server = host.Host.Begin(Shell.Python, "-c", """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(('0.0.0.0', 9100))
            s.settimeout(30)
            for _ in range(100):
                data, peer = s.recvfrom(4096)
                s.sendto(data, peer)
            """);
        await Waits.Until(() => host.Host.Exec("ss", "-Huln", "sport = :9100").Contains("9100", StringComparison.Ordinal), "the Linux server listens on 9100");

        using FlowSocket socket = host.Stack.CreateSocket(SocketType.Dgram, ProtocolType.Udp);
        Assert.Equal(ProtocolType.Udp, socket.ProtocolType);
        var linux = new IPEndPoint(s_linux, 9100);
        byte[] buffer = new byte[2048];
        for (int i = 0; i < 100; i++)
        {
            byte[] datagram = RandomNumberGenerator.GetBytes(1 + i * 14);
            Assert.Equal(datagram.Length, await socket.SendToAsync(datagram, SocketFlags.None, linux));
            SocketReceiveFromResult r = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0))
                .AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(linux, r.RemoteEndPoint);
            Assert.Equal(datagram, buffer.AsSpan(0, r.ReceivedBytes).ToArray());
        }
        Assert.True(socket.IsBound);
        Assert.True(server.WaitForExit(10_000), "the Linux server did not get its 100 datagrams");
    }

    [Fact]
    public async Task ABoundFlowSocketAnswersALinuxClientAndAConnectedOneTalksToItsPeer()
    {
        using var host = new StackHost();
        using FlowSocket socket = host.Stack.CreateSocket(SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new IPEndPoint(IPAddress.Any, 5005));
        Assert.Equal(SocketError.OperationNotSupported, Assert.Throws<SocketException>(() => socket.Listen()).SocketErrorCode);
        Assert.Equal(SocketError.ProtocolOption, Assert.Throws<SocketException>(() => socket.NoDelay = true).SocketErrorCode);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Task echo = Task.Run(async () =>
        {
            byte[] buffer = new byte[2048];
            for (int i = 0; i < 50; i++)
            {
                SocketReceiveFromResult r = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), stop.Token);
                await socket.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), r.RemoteEndPoint, stop.Token);
            }
        });
        string result = host.Python($"""
            import os, socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(5)
            ok = 0
            for i in range(50):
                data = os.urandom(1 + i * 29)
                s.sendto(data, ('{StackHost.StackAddress}', 5005))
                back, peer = s.recvfrom(4096)
                ok += back == data and peer == ('{StackHost.StackAddress}', 5005)
            print(ok)
            """);
        Assert.Equal("50", result.Trim());
        await echo.WaitAsync(TimeSpan.FromSeconds(10));

        // Connected: sends without an address go to the peer, receives take only the peer's.
        Process server = host.Host.Begin(Shell.Python, "-c", """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(('0.0.0.0', 9101))
            s.settimeout(20)
            data, peer = s.recvfrom(4096)
            s.sendto(data[::-1], peer)
            """);
        await Waits.Until(() => host.Host.Exec("ss", "-Huln", "sport = :9101").Contains("9101", StringComparison.Ordinal), "the Linux server listens on 9101");
        await socket.ConnectAsync(new IPEndPoint(s_linux, 9101));
        Assert.True(socket.Connected);
        await socket.SendAsync("abcdef"u8.ToArray(), SocketFlags.None);
        byte[] reply = new byte[64];
        int n = await socket.ReceiveAsync(reply, SocketFlags.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("fedcba", System.Text.Encoding.ASCII.GetString(reply, 0, n));
        Assert.True(server.WaitForExit(10_000));
    }
}
