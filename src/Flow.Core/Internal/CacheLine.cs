namespace Flow.Internal;

/// <summary>Padding unit between fields written by different threads.</summary>
/// <remarks>
/// 128 rather than 64: x86 adjacent-line prefetch pulls lines in pairs, and ARM64 parts
/// (Apple, Neoverse) have 128-byte lines; dotnet/runtime's PaddingHelpers makes the same choice.
/// </remarks>
internal static class CacheLine
{
    public const int Size = 128;
}
