namespace Flow.Backends.Pcap;

/// <summary>A file that is not a classic pcap file Flow can replay (bad magic, short header, link type not Ethernet).</summary>
public sealed class PcapFormatException : Exception
{
    public PcapFormatException(string path, string problem)
        : base($"'{path}': {problem}")
    {
        Path = path;
        Problem = problem;
    }

    public string Path { get; }

    public string Problem { get; }
}
