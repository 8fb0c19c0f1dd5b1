using System.Text.Json;
using Flow.Protocols.Tests.Infrastructure;

namespace Flow.Protocols.Tests.Corpus;

/// <summary>One corpus packet and what scapy says about it (see make_corpus.py).</summary>
internal sealed record CorpusEntry(string Name, string Family, byte[] Frame, JsonElement Expect, string? Reject);

/// <summary>Runs make_corpus.py once per test run into a temp directory and loads the result.</summary>
internal static class ScapyCorpus
{
    private static readonly Lazy<IReadOnlyList<CorpusEntry>> s_entries = new(Generate);

    public static IReadOnlyList<CorpusEntry> Entries => s_entries.Value;

    private static IReadOnlyList<CorpusEntry> Generate()
    {
        string directory = Path.Combine(Path.GetTempPath(), "flow-protocols-corpus-" + Environment.ProcessId);
        string script = Path.Combine(AppContext.BaseDirectory, "Corpus", "make_corpus.py");
        ExternalTools.Run(ExternalTools.PythonWithScapy, script, directory);
        try
        {
            List<byte[]> frames = Pcap.Read(Path.Combine(directory, "corpus.pcap"));
            using JsonDocument manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "corpus.json")));
            var entries = new List<CorpusEntry>();
            int i = 0;
            foreach (JsonElement e in manifest.RootElement.EnumerateArray())
            {
                string? reject = e.GetProperty("reject").ValueKind == JsonValueKind.Null ? null : e.GetProperty("reject").GetString();
                entries.Add(new CorpusEntry(e.GetProperty("name").GetString()!, e.GetProperty("family").GetString()!, frames[i++], e.GetProperty("expect").Clone(), reject));
            }

            if (entries.Count != frames.Count)
            {
                throw new InvalidDataException($"corpus.json has {entries.Count} entries but corpus.pcap {frames.Count} frames");
            }

            return entries;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
