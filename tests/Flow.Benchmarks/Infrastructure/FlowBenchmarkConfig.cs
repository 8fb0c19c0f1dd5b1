using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Validators;

namespace Flow.Benchmarks.Infrastructure;

/// <summary>
/// Shared BenchmarkDotNet configuration: allocation column (expected to read zero for every
/// Flow benchmark), ratio against the class's baseline, and the JIT-optimizations validator.
/// </summary>
public sealed class FlowBenchmarkConfig : ManualConfig
{
    public FlowBenchmarkConfig()
    {
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(BaselineRatioColumn.RatioMean);
        AddValidator(JitOptimizationsValidator.FailOnError);
    }
}
