using Flow.TestKit;

namespace Flow.Protocols.Tests.Infrastructure;

/// <summary>
/// Locates and runs the peers we did not write (scapy, tshark). A missing tool fails the
/// test with a message naming the tool and the Debian package (STYLE D7: no Skip).
/// </summary>
internal static class ExternalTools
{
    private static readonly Lazy<string> s_python = new(FindPythonWithScapy);

    public static string PythonWithScapy => s_python.Value;

    public static string Tshark
    {
        get
        {
            foreach (string candidate in new[] { "/usr/bin/tshark", "/usr/local/bin/tshark" })
            {
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new InvalidOperationException("tshark not found (looked in /usr/bin and /usr/local/bin); install it with `apt-get install -y tshark`.");
        }
    }

    /// <summary>Runs a program, returns stdout; throws with stderr on a non-zero exit or after 60 s.</summary>
    public static string Run(string program, params string[] arguments) =>
        Shell.RunWithLimit(TimeSpan.FromSeconds(60), program, arguments);

    /// <summary>
    /// FLOW_PYTHON if set, else Debian's /usr/bin/python3 (where apt's python3-scapy lives),
    /// else python3 on PATH — the first that can import scapy.
    /// </summary>
    private static string FindPythonWithScapy()
    {
        var tried = new List<string>();
        string? fromEnvironment = Environment.GetEnvironmentVariable("FLOW_PYTHON");
        foreach (string? candidate in new[] { fromEnvironment, "/usr/bin/python3", "python3" })
        {
            if (string.IsNullOrEmpty(candidate))
            {
                continue;
            }

            tried.Add(candidate);
            try
            {
                Run(candidate, "-c", "import scapy.all");
                return candidate;
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Not this interpreter; try the next one and name them all if none works.
            }
        }

        throw new InvalidOperationException(
            $"scapy is required for the protocol corpus but no Python could import it (tried: {string.Join(", ", tried)}); install it with `apt-get install -y python3-scapy` or set FLOW_PYTHON.");
    }
}
