namespace Flow.TestKit.Conformance;

/// <summary>One end of a <see cref="ConformancePair"/>.</summary>
public enum PairEnd
{
    A,
    B,
}
