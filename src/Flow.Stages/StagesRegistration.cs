using Flow.Stages.Switching;
using Flow.Stages.Switching.Internal;
using Flow.Stages.Vlan;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Stages;

/// <summary>Registers the reusable stages of Flow.Stages with Flow's stage registry.</summary>
public static class StagesRegistration
{
    /// <summary>
    /// Adds the switch stages: <c>vlan_classifier</c>, <c>mac_learner</c>, <c>l2_forwarder</c>,
    /// <c>vlan_tagger</c>; and the switch's control commands (<c>mac show|flush|add|del</c>,
    /// <c>port show|set</c>, <c>vlan show</c>) for control endpoints (docs/control.md).
    /// </summary>
    public static IServiceCollection AddFlowSwitching(this IServiceCollection services)
    {
        services.AddFlowStage<VlanClassifier, VlanClassifierOptions>();
        services.AddFlowStage<MacLearner, MacLearnerOptions>();
        services.AddFlowStage<L2Forwarder, L2ForwarderOptions>();
        services.AddFlowStage<VlanTagger>();
        if (!services.Any(d => d.ServiceType == typeof(IControlCommand) && d.ImplementationInstance is SwitchControlCommand))
        {
            foreach (IControlCommand command in SwitchControlCommands.All)
            {
                services.AddSingleton(command);
            }
        }
        return services;
    }
}
