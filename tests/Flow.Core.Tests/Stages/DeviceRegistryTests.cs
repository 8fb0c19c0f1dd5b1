using Xunit;

namespace Flow.Core.Tests.Stages;

public class DeviceRegistryTests
{
    private readonly DeviceRegistry<string, int, FakeDevice> _registry = new("fake port", StringComparer.Ordinal);
    private int _opens;

    private FakeDevice Open(string key, int settings)
    {
        _opens++;
        return new FakeDevice(key);
    }

    [Fact]
    public void TheFirstAcquireOpensAndLaterOnesShareTheDevice()
    {
        FakeDevice rx = _registry.Acquire("eth0", 1, Open);
        FakeDevice tx = _registry.Acquire("eth0", 1, Open);

        Assert.Same(rx, tx);
        Assert.Equal(1, _opens);
        Assert.Equal(2, _registry.ReferencesOf("eth0"));
        Assert.Equal(1, _registry.Count);
    }

    [Fact]
    public void OnlyTheLastReleaseDisposesTheDevice()
    {
        FakeDevice device = _registry.Acquire("eth0", 1, Open);
        _registry.Acquire("eth0", 1, Open);

        _registry.Release("eth0", device);
        Assert.Equal(0, device.Disposals);
        Assert.Equal(1, _registry.ReferencesOf("eth0"));

        _registry.Release("eth0", device);
        Assert.Equal(1, device.Disposals);
        Assert.Equal(0, _registry.ReferencesOf("eth0"));
        Assert.Equal(0, _registry.Count);
    }

    [Fact]
    public void AKeyOpensAFreshDeviceAfterItsLastRelease()
    {
        FakeDevice first = _registry.Acquire("eth0", 1, Open);
        _registry.Release("eth0", first);

        FakeDevice second = _registry.Acquire("eth0", 1, Open);

        Assert.NotSame(first, second);
        Assert.Equal(2, _opens);
    }

    [Fact]
    public void DifferentKeysGetDifferentDevices()
    {
        FakeDevice a = _registry.Acquire("eth0", 1, Open);
        FakeDevice b = _registry.Acquire("eth1", 1, Open);

        Assert.NotSame(a, b);
        Assert.Equal(2, _registry.Count);
    }

    [Fact]
    public void AnAcquireWithOtherSettingsIsRefusedNamingBoth()
    {
        _registry.Acquire("eth0", 1, Open);

        ArgumentException e = Assert.Throws<ArgumentException>(() => _registry.Acquire("eth0", 2, Open));

        Assert.Equal("options", e.ParamName);
        Assert.Contains("fake port eth0 is already open with other options (1)", e.Message, StringComparison.Ordinal);
        Assert.Contains("not (2)", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, _registry.ReferencesOf("eth0"));
        Assert.Equal(1, _opens);
    }

    [Fact]
    public void TheSettingsComparerDecidesWhatMatches()
    {
        var registry = new DeviceRegistry<string, string, FakeDevice>("fake port", settingsComparer: StringComparer.OrdinalIgnoreCase);
        FakeDevice a = registry.Acquire("eth0", "Copy", (key, _) => new FakeDevice(key));

        Assert.Same(a, registry.Acquire("eth0", "COPY", (key, _) => new FakeDevice(key)));
        Assert.Throws<ArgumentException>(() => registry.Acquire("eth0", "ZeroCopy", (key, _) => new FakeDevice(key)));
    }

    [Fact]
    public void AFailedOpenLeavesNothingOpen()
    {
        Assert.Throws<IOException>(() => _registry.Acquire("eth0", 1, (_, _) => throw new IOException("no such device")));

        Assert.Equal(0, _registry.Count);
        _registry.Acquire("eth0", 1, Open);
        Assert.Equal(1, _opens);
    }

    [Fact]
    public void AReleaseWithoutItsAcquireIsRefused()
    {
        FakeDevice device = _registry.Acquire("eth0", 1, Open);

        Assert.Throws<InvalidOperationException>(() => _registry.Release("eth1", device));
        Assert.Throws<InvalidOperationException>(() => _registry.Release("eth0", new FakeDevice("eth0")));
        _registry.Release("eth0", device);
        Assert.Throws<InvalidOperationException>(() => _registry.Release("eth0", device));
        Assert.Equal(1, device.Disposals);
    }

    [Fact]
    public void ADisposeThatThrowsStillFreesTheKey()
    {
        FakeDevice device = _registry.Acquire("eth0", 1, Open);
        device.FailDispose = true;

        Assert.Throws<IOException>(() => _registry.Release("eth0", device));

        Assert.Equal(0, _registry.Count);
        Assert.NotSame(device, _registry.Acquire("eth0", 1, Open));
    }

    /// <summary>
    /// Four threads acquire and release three keys in a tight loop. Each device counts how many
    /// devices of its key are open: more than one at a time would be a second open racing a
    /// close (or an open), which the kernel would refuse with EBUSY.
    /// </summary>
    [Fact]
    public void ConcurrentAcquiresAndReleasesNeverOpenAKeyTwiceAndCloseEverything()
    {
        const int Threads = 4;
        const int Rounds = 2000;
        string[] keys = ["eth0", "eth1", "eth2"];
        var live = new int[keys.Length];
        var opened = new int[keys.Length];
        var disposed = new int[keys.Length];
        int overlaps = 0;
        int stale = 0;
        var registry = new DeviceRegistry<string, int, CountingDevice>("fake port");
        using var start = new Barrier(Threads);

        var threads = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            int seed = t;
            threads[t] = new Thread(() =>
            {
                var random = new Random(seed);
                start.SignalAndWait();
                for (int round = 0; round < Rounds; round++)
                {
                    int k = random.Next(keys.Length);
                    CountingDevice device = registry.Acquire(keys[k], 0, (_, _) =>
                    {
                        Interlocked.Increment(ref opened[k]);
                        if (Interlocked.Increment(ref live[k]) != 1)
                        {
                            Interlocked.Increment(ref overlaps);
                        }
                        return new CountingDevice(() =>
                        {
                            Interlocked.Decrement(ref live[k]);
                            Interlocked.Increment(ref disposed[k]);
                        });
                    });
                    if (device.IsDisposed)
                    {
                        Interlocked.Increment(ref stale);
                    }
                    registry.Release(keys[k], device);
                }
            });
            threads[t].Start();
        }
        foreach (Thread thread in threads)
        {
            Assert.True(thread.Join(TimeSpan.FromSeconds(60)), "a thread did not finish its rounds within 60 s");
        }

        Assert.Equal(0, overlaps);
        Assert.Equal(0, stale);
        Assert.Equal(0, registry.Count);
        Assert.Equal(opened, disposed);
        Assert.All(live, count => Assert.Equal(0, count));
    }

    private sealed class FakeDevice(string name) : IDisposable
    {
        public string Name { get; } = name;

        public int Disposals { get; private set; }

        public bool FailDispose { get; set; }

        public void Dispose()
        {
            Disposals++;
            if (FailDispose)
            {
                throw new IOException($"close of {Name} failed");
            }
        }
    }

    private sealed class CountingDevice(Action onDispose) : IDisposable
    {
        private int _disposed;

        public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                onDispose();
            }
        }
    }
}
