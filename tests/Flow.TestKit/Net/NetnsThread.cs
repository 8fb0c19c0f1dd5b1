using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Flow.TestKit;

/// <summary>
/// A thread that lives in a test's network namespace (setns(2) with CLONE_NEWNET affects only the
/// calling thread), so a Flow backend opens sockets, looks up interfaces and attaches XDP programs
/// there while the test process stays in its own namespace. Sockets keep the namespace they were
/// made in, so the stages then run on any worker; whatever resolves interfaces again when it is
/// torn down (an XDP detach by ifindex) must be disposed through <see cref="Invoke"/> too.
/// </summary>
public sealed partial class NetnsThread : IDisposable
{
    private const int CloneNewNet = 0x40000000;

    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread _thread;
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public NetnsThread(NetnsFixture ns)
    {
        Namespace = ns;
        _thread = new Thread(() => Run($"/run/netns/{ns.Name}")) { IsBackground = true, Name = $"netns-{ns.Name}" };
        _thread.Start();
        _entered.Task.GetAwaiter().GetResult();
    }

    public NetnsFixture Namespace { get; }

    /// <summary>Runs <paramref name="action"/> in the namespace and returns its result (or rethrows what it threw).</summary>
    public T Invoke<T>(Func<T> action)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
        {
            try
            {
                done.SetResult(action());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        });
        return done.Task.GetAwaiter().GetResult();
    }

    /// <summary>Runs <paramref name="action"/> in the namespace.</summary>
    public void Invoke(Action action) => Invoke(() =>
    {
        action();
        return true;
    });

    private void Run(string path)
    {
        try
        {
            // A handle, not a FileStream: nsfs files cannot seek.
            using (Microsoft.Win32.SafeHandles.SafeFileHandle handle = File.OpenHandle(path))
            {
                if (SetNs((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    throw new InvalidOperationException($"setns({path}) failed with errno {Marshal.GetLastPInvokeError()}");
                }
            }
            _entered.SetResult();
        }
        catch (Exception e)
        {
            _entered.SetException(e);
            return;
        }
        foreach (Action action in _work.GetConsumingEnumerable())
        {
            action();
        }
    }

    public void Dispose()
    {
        _work.CompleteAdding();
        _thread.Join(TimeSpan.FromSeconds(30));
        _work.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}
