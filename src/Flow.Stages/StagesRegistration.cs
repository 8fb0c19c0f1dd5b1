using Flow.Stages.Arp;
using Flow.Stages.Dhcp;
using Flow.Stages.Ethernet;
using Flow.Stages.Icmp;
using Flow.Stages.Ipv4;
using Flow.Stages.Nat;
using Flow.Stages.Ports;
using Flow.Stages.Routing;
using Flow.Stages.Switching;
using Flow.Stages.Vlan;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Flow.Stages;

/// <summary>Registers the reusable stages of Flow.Stages with Flow's stage registry.</summary>
public static class StagesRegistration
{
    /// <summary>
    /// Adds the switch stages: <c>vlan_classifier</c>, <c>mac_learner</c>, <c>l2_forwarder</c>,
    /// <c>vlan_tagger</c>, and <c>input_port</c> (stamps a port's id after an rx that does not).
    /// The switch's control verbs come with its <c>l2_forwarder</c> (<see cref="IControlledStage"/>).
    /// </summary>
    public static IServiceCollection AddFlowSwitching(this IServiceCollection services)
    {
        services.AddFlowStage<VlanClassifier, VlanClassifierOptions>();
        services.AddFlowStage<MacLearner, MacLearnerOptions>();
        services.AddFlowStage<L2Forwarder, L2ForwarderOptions>();
        services.AddFlowStage<VlanTagger>();
        services.AddFlowStage<InputPortStamper, InputPortStamperOptions>();
        return services;
    }

    /// <summary>
    /// Adds the router's L2/L3 stages: <c>eth_classify</c>, <c>ipv4_input</c>, <c>ipv4_local</c>, <c>ipv4_forward</c>,
    /// <c>icmp_echo</c>, <c>icmp_error</c>, <c>ping</c>, <c>ipv4_output</c>, <c>dhcp_server</c>, <c>dhcp_client</c> and the NAT's <c>nat_in</c> and <c>nat_out</c> (which read next hops from the
    /// <see cref="Ipv4RouteTable"/> that <see cref="AddFlowRouting"/> registers).
    /// </summary>
    public static IServiceCollection AddFlowRouterStages(this IServiceCollection services)
    {
        services.TryAddSingleton(static _ => new InterfaceAddressBook());
        services.AddFlowStage<EtherClassifier, EtherClassifierOptions>();
        services.AddFlowStage<Ipv4Validator, Ipv4ValidatorOptions>();
        services.AddFlowStage<Ipv4LocalDemux, Ipv4LocalDemuxOptions>();
        services.AddFlowStage<Ipv4Forwarder>();
        services.AddFlowStage<IcmpEchoResponder, IcmpEchoResponderOptions>();
        services.AddFlowStage<IcmpErrorSender, IcmpErrorSenderOptions>();
        services.AddFlowStage<Ipv4Output, Ipv4OutputOptions>();
        services.AddFlowStage<IcmpPinger, IcmpPingerOptions>();
        services.AddFlowStage<DhcpServer, DhcpServerOptions>();
        services.AddFlowStage<DhcpClient, DhcpClientOptions>();
        services.AddFlowArp();
        services.AddFlowNat();
        return services;
    }

    /// <summary>
    /// Adds the NAT44 stages <c>nat_in</c> and <c>nat_out</c> and the <see cref="NatTables"/> where
    /// the two halves of each NAT meet. <c>nat_out</c> reads next hops from the
    /// <see cref="Ipv4RouteTable"/> that <see cref="AddFlowRouting"/> registers.
    /// </summary>
    public static IServiceCollection AddFlowNat(this IServiceCollection services)
    {
        services.TryAddSingleton<NatTables>();
        services.AddFlowStage<NatInbound, NatOptions>();
        services.AddFlowStage<NatOutbound, NatOptions>();
        return services;
    }

    /// <summary>
    /// Adds <c>ipv4_lookup</c> and the one <see cref="Ipv4RouteTable"/> all its instances share
    /// (made on first use with default sizes unless the application registered its own). A
    /// lookup's options (<see cref="Ipv4LookupOptions"/>: interfaces, static routes) fill the table
    /// when the stage is made; its <c>route</c> verbs change it while the graph runs.
    /// </summary>
    public static IServiceCollection AddFlowRouting(this IServiceCollection services)
    {
        services.TryAddSingleton(static _ => new Ipv4RouteTable());
        services.AddFlowStage<Ipv4Lookup, Ipv4LookupOptions>();
        return services;
    }
}
