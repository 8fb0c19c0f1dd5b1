using Flow.Net.Tcp;
using Flow.Net.Udp;
using Flow.Stages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Flow.Net;

/// <summary>Registers the stack's stages with Flow's stage registry.</summary>
public static class FlowNetRegistration
{
    /// <summary>
    /// Adds the UDP stages <c>udp_receive</c>, <c>udp_send</c> and <c>udp_errors</c>, the TCP
    /// stages <c>tcp_receive</c> and <c>tcp_send</c>, the <see cref="UdpPortTable"/> and
    /// <see cref="TcpTable"/> they and the sockets share, and the router's L2/L3 stages the
    /// stack is built from (ARP, IPv4 input and output, ICMP, routing).
    /// </summary>
    public static IServiceCollection AddFlowNet(this IServiceCollection services)
    {
        services.AddFlowRouting();
        services.AddFlowRouterStages();
        services.TryAddSingleton<UdpPortTable>();
        services.AddFlowStage<UdpReceiver, UdpReceiverOptions>();
        services.AddFlowStage<UdpSender, UdpSenderOptions>();
        services.AddFlowStage<UdpErrorReceiver>();
        services.TryAddSingleton<TcpTable>();
        services.AddFlowStage<TcpReceiver>();
        services.AddFlowStage<TcpSender, TcpSenderOptions>();
        return services;
    }
}
