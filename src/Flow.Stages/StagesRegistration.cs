using Flow.Stages.Ports;
using Flow.Stages.Switching;
using Flow.Stages.Vlan;
using Microsoft.Extensions.DependencyInjection;

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
}
