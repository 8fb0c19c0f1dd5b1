namespace Flow.Backends.Memif.Tests;

/// <summary>Unique socket paths so tests never meet another run's sockets.</summary>
internal static class MemifTestNames
{
    /// <summary>Where the tests' socket files live; made here because DPDK's server binds without creating it.</summary>
    public const string Directory = "/run/flow-test";

    /// <summary>A unique file-system socket path (Flow's default kind of socket).</summary>
    public static string Socket(string what)
    {
        System.IO.Directory.CreateDirectory(Directory);
        return $"{Directory}/{what}-{Environment.ProcessId}-{Guid.NewGuid():N}.sock";
    }

    /// <summary>Inode of an open fd (memfds get a new one each): tells two regions apart even when fd numbers are reused.</summary>
    public static unsafe ulong Inode(int fd)
    {
        Interop.Sys.Statx buffer = default;
        Xunit.Assert.Equal(0, Interop.Sys.StatxPath(fd, "", Interop.Sys.AT_EMPTY_PATH, Interop.Sys.STATX_TYPE, &buffer));
        return buffer.Inode;
    }

    /// <summary>True when this process maps the file with inode <paramref name="inode"/> (a line of /proc/self/maps names it).</summary>
    public static bool IsMapped(ulong inode) =>
        File.ReadLines("/proc/self/maps").Any(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: > 4 } fields && fields[4] == inode.ToString());

    /// <summary>The bound of the memif tests' waits (Flow.TestKit.Waits polls up to it).</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);
}
