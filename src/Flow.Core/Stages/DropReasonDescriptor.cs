namespace Flow;

/// <summary>A drop reason: lower_snake symbol, index, a sentence, and a severity.</summary>
public sealed record DropReasonDescriptor(string Symbol, int Index, string Description, Severity Severity);
