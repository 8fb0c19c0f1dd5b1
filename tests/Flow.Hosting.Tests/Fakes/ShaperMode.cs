namespace Flow.Hosting.Tests;

public enum ShaperMode
{
    Strict,
    BestEffort,
}
