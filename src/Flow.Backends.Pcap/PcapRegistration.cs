using Microsoft.Extensions.DependencyInjection;

namespace Flow.Backends.Pcap;

/// <summary>Registers the pcap stages (<c>pcap_rx</c>, <c>pcap_tx</c>, <c>pcap_tap</c>) with Flow's stage registry.</summary>
public static class PcapRegistration
{
    public static IServiceCollection AddFlowPcap(this IServiceCollection services)
    {
        services.AddFlowStage<PcapRx, PcapOptions>();
        services.AddFlowStage<PcapTx, PcapOptions>();
        services.AddFlowStage<PcapTap, PcapOptions>();
        return services;
    }
}
