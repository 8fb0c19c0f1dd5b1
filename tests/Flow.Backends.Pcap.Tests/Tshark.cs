using System.Text.Json;
using Flow.TestKit;

namespace Flow.Backends.Pcap.Tests;

/// <summary>Reads a pcap file with tshark (the oracle): bytes, lengths and epoch timestamps of every frame.</summary>
public static class Tshark
{
    public sealed record Frame(byte[] Bytes, int OriginalLength, string TimeEpoch);

    public static IReadOnlyList<Frame> Read(string path)
    {
        Shell.RequireRootAnd("tshark");
        string json = Shell.RunWithLimit(TimeSpan.FromSeconds(60), "tshark", "-r", path, "-T", "json", "-x", "--disable-protocol", "eth");
        using JsonDocument document = JsonDocument.Parse(json);
        var frames = new List<Frame>();
        foreach (JsonElement element in document.RootElement.EnumerateArray())
        {
            JsonElement layers = element.GetProperty("_source").GetProperty("layers");
            string hex = layers.GetProperty("frame_raw")[0].GetString()!;
            JsonElement frame = layers.GetProperty("frame");
            frames.Add(new Frame(Convert.FromHexString(hex),
                int.Parse(frame.GetProperty("frame.len").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
                frame.GetProperty("frame.time_epoch").GetString()!));
        }
        return frames;
    }
}
