using Flow.Backends.AfPacket;
using Flow.Backends.AfXdp;
using Flow.Backends.Dpdk;
using Flow.Backends.Loop;
using Flow.Backends.Memif;
using Flow.Backends.Pcap;
using Flow.Backends.Tap;
using Flow.Hosting;
using Flow.Net;
using Flow.Stages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Flow.Cli;

/// <summary>
/// The one place that decides which stage types the <c>flow</c> command knows: the built-in
/// stages, the channel bridges and every backend and stage library built with it. Adding a
/// backend is one line here (its <c>AddFlow&lt;Name&gt;()</c> extension) plus a project reference.
/// </summary>
internal static class FlowCliServices
{
    /// <summary>
    /// Stage libraries registered below that make no system calls, so 'flow validate' and 'flow
    /// graph' may construct their stages (backends never: GraphCheckOptions.PureStageLibraries).
    /// </summary>
    public static readonly IReadOnlyCollection<System.Reflection.Assembly> PureStageLibraries = [typeof(StagesRegistration).Assembly, typeof(FlowNetRegistration).Assembly];

    public static ServiceProvider Create(bool verbose = false)
    {
        var services = new ServiceCollection();
        CliLogFormatter.ShowStackTraces = verbose;
        services.AddLogging(logging =>
        {
            logging.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning);
            logging.AddConsole(o =>
            {
                o.FormatterName = CliLogFormatter.FormatterName;
                o.LogToStandardErrorThreshold = LogLevel.Trace;
            });
            logging.AddConsoleFormatter<CliLogFormatter, ConsoleFormatterOptions>();
        });
        services.AddFlowHosting();

        // Backends and stage libraries: one line each (and a project reference in Flow.Cli.csproj).
        services.AddFlowAfPacket();
        services.AddFlowAfXdp();
        services.AddFlowDpdk();
        services.AddFlowLoop();
        services.AddFlowMemif();
        services.AddFlowPcap();
        services.AddFlowTap();
        services.AddFlowSwitching();
        services.AddFlowRouting();
        services.AddFlowRouterStages();
        services.AddFlowNet();
        return services.BuildServiceProvider();
    }
}
