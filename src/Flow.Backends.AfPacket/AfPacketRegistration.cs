using Microsoft.Extensions.DependencyInjection;

namespace Flow.Backends.AfPacket;

/// <summary>Registers <c>af_packet_rx</c> and <c>af_packet_tx</c> with Flow's stage registry.</summary>
public static class AfPacketRegistration
{
    public static IServiceCollection AddFlowAfPacket(this IServiceCollection services)
    {
        services.AddFlowStage<AfPacketRx, AfPacketOptions>();
        services.AddFlowStage<AfPacketTx, AfPacketOptions>();
        return services;
    }
}
