namespace Flow;

/// <summary>Output enum of a stage that sends nothing on (a sink: tx, null, capture).</summary>
public enum NoOutput : byte
{
}
