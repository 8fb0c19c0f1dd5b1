using Microsoft.Extensions.DependencyInjection;

namespace Flow.Hosting.Tests;

internal static class TestServices
{
    /// <summary>Flow hosting plus the test stages registered in DI (not <see cref="AssemblyOnlyStage"/>).</summary>
    public static ServiceProvider Create()
    {
        var services = new ServiceCollection();
        services.AddFlowHosting();
        services.AddFlowStage<Ipv4Counter>();
        services.AddFlowStage<UnopenableDevice>();
        services.AddFlowStage<OneWriterTally>();
        services.AddSingleton(StageAssemblyScanner.Register(typeof(Shaper)));
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// What <c>flow</c> registers that pipelines/ uses: the switch, router and stack stages and the in-process
    /// backends (memif, loop, null) — enough to load every pipeline with its default parameters.
    /// </summary>
    public static ServiceProvider CreateWithBackends()
    {
        var services = new ServiceCollection();
        services.AddFlowHosting();
        Flow.Stages.StagesRegistration.AddFlowSwitching(services);
        Flow.Stages.StagesRegistration.AddFlowRouting(services);
        Flow.Stages.StagesRegistration.AddFlowRouterStages(services);
        Flow.Net.FlowNetRegistration.AddFlowNet(services);
        Flow.Backends.Loop.LoopRegistration.AddFlowLoop(services);
        Flow.Backends.Memif.MemifRegistration.AddFlowMemif(services);
        return services.BuildServiceProvider();
    }

    public static string RepositoryRoot
    {
        get
        {
            string? directory = AppContext.BaseDirectory;
            while (directory is not null && !File.Exists(Path.Combine(directory, "Flow.sln")))
            {
                directory = Path.GetDirectoryName(directory);
            }
            return directory ?? throw new InvalidOperationException($"Flow.sln not found above {AppContext.BaseDirectory}");
        }
    }
}
