namespace Flow.Samples.Iperf3OnFlow;

/// <summary>
/// The state bytes of iperf3's control connection (iperf.h): each side announces the phase it
/// enters by sending one signed byte. A server sends <see cref="ParamExchange"/>,
/// <see cref="CreateStreams"/>, <see cref="TestStart"/>, <see cref="TestRunning"/>,
/// <see cref="ExchangeResults"/> and <see cref="DisplayResults"/>; a client sends
/// <see cref="TestEnd"/> and <see cref="IperfDone"/>.
/// </summary>
public enum Iperf3State : sbyte
{
    TestStart = 1,
    TestRunning = 2,
    TestEnd = 4,
    ParamExchange = 9,
    CreateStreams = 10,
    ServerTerminate = 11,
    ClientTerminate = 12,
    ExchangeResults = 13,
    DisplayResults = 14,
    IperfStart = 15,
    IperfDone = 16,

    /// <summary>The server is busy with another client's test.</summary>
    AccessDenied = -1,

    /// <summary>Followed by two 4-byte big-endian numbers: iperf3's own error code (i_errno) and errno.</summary>
    ServerError = -2,
}
