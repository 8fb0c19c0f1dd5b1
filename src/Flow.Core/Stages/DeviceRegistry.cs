using Flow.Internal;

namespace Flow;

/// <summary>
/// Devices that several stages of one process share by key — the rx and the tx stage of one
/// interface or queue — counted by reference: the first <see cref="Acquire"/> of a key opens the
/// device, the last <see cref="Release"/> disposes it.
/// </summary>
/// <remarks>
/// A backend shares because the kernel or the peer takes one device per key: a second AF_XDP
/// bind of a queue fails with EBUSY, a single-queue tap refuses a second TUNSETIFF, a memif peer
/// sees one interface. Stages that share a device must agree on its settings. The first stage's
/// settings open it, and a later stage that asks with other settings is refused with both sets in
/// the message; otherwise it would run silently with the first one's (security review L11).
/// <para>
/// Open and dispose run under the registry's lock. A device that is closing is therefore never
/// open a second time beside it: the next <see cref="Acquire"/> of its key waits, then opens a
/// new one. Both are setup paths, never the data path, and the lock is per registry, so one
/// backend's slow open (an XDP attach) does not hold up another backend.
/// </para>
/// </remarks>
/// <typeparam name="TKey">What names one device: an interface, an (interface, queue) pair, a socket path.</typeparam>
/// <typeparam name="TSettings">What the sharing stages must agree on, compared with the settings comparer; its <c>ToString</c> is shown in the mismatch error.</typeparam>
/// <typeparam name="TDevice">The shared device; disposed when its last user releases it.</typeparam>
public sealed class DeviceRegistry<TKey, TSettings, TDevice>
    where TKey : notnull
    where TDevice : class, IDisposable
{
    private readonly string _kind;
    private readonly Dictionary<TKey, Entry> _open;
    private readonly IEqualityComparer<TSettings> _settingsComparer;
    private readonly Lock _lock = new();

    /// <param name="kind">What a device is, for error messages ("AF_XDP port", "TAP queue").</param>
    /// <param name="keyComparer">How keys compare; default equality when null.</param>
    /// <param name="settingsComparer">How settings compare; default equality when null (value equality for records).</param>
    public DeviceRegistry(string kind, IEqualityComparer<TKey>? keyComparer = null, IEqualityComparer<TSettings>? settingsComparer = null)
    {
        _kind = kind;
        _open = new Dictionary<TKey, Entry>(keyComparer);
        _settingsComparer = settingsComparer ?? EqualityComparer<TSettings>.Default;
    }

    /// <summary>Devices open now (for tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>
    /// The device of <paramref name="key"/> with its reference count raised: the open one, or a
    /// new one from <paramref name="open"/> when none is open.
    /// </summary>
    /// <exception cref="ArgumentException">The device is open with settings other than <paramref name="settings"/>.</exception>
    public TDevice Acquire(TKey key, TSettings settings, Func<TKey, TSettings, TDevice> open)
    {
        lock (_lock)
        {
            if (_open.TryGetValue(key, out Entry? entry))
            {
                if (!_settingsComparer.Equals(entry.Settings, settings))
                {
                    ThrowHelper.ThrowArgument("options",
                        $"{_kind} {key} is already open with other options ({entry.Settings}); every stage that shares it must give the same ones, not ({settings}).");
                }
                entry.References++;
                return entry.Device;
            }
            // Opened under the lock: a second stage of the key waits for this open rather than
            // racing it to the kernel, where the loser would fail with EBUSY.
            TDevice device = open(key, settings);
            _open.Add(key, new Entry(device, settings));
            return device;
        }
    }

    /// <summary>
    /// Drops the reference one <see cref="Acquire"/> of <paramref name="key"/> took; the last one
    /// disposes <paramref name="device"/>. Call once per Acquire.
    /// </summary>
    /// <exception cref="InvalidOperationException"><paramref name="device"/> is not the open device of <paramref name="key"/>: a release without its acquire, or a second one.</exception>
    public void Release(TKey key, TDevice device)
    {
        lock (_lock)
        {
            if (!_open.TryGetValue(key, out Entry? entry) || !ReferenceEquals(entry.Device, device))
            {
                ThrowHelper.ThrowInvalidOperation($"{_kind} {key} is not open with this device: released more often than acquired.");
            }
            if (--entry.References > 0)
            {
                return;
            }
            // Removed before the dispose, so a dispose that throws still leaves the key free to
            // open again.
            _open.Remove(key);
            device.Dispose();
        }
    }

    /// <summary>How many stages hold the device of <paramref name="key"/>; 0 when none is open.</summary>
    public int ReferencesOf(TKey key)
    {
        lock (_lock)
        {
            return _open.TryGetValue(key, out Entry? entry) ? entry.References : 0;
        }
    }

    private sealed class Entry(TDevice device, TSettings settings)
    {
        public TDevice Device { get; } = device;

        public TSettings Settings { get; } = settings;

        public int References { get; set; } = 1;
    }
}
