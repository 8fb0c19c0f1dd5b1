namespace Flow.Backends.Memif.Internal;

/// <summary>
/// The buffer region and pool that client interfaces naming the same
/// <see cref="MemifOptions.BufferGroup"/> share: every member sends the same memfd as region 1,
/// so a frame received on one member is a valid buffer of every other and goes out without a
/// copy. Created by the first member to start, sized by its options; gone when the last member
/// stops (after it returned the frames its rings held).
/// </summary>
internal sealed unsafe class MemifBufferGroup : IDisposable
{
    private static readonly DeviceRegistry<string, Geometry, MemifBufferGroup> s_groups = new("memif buffer group", StringComparer.Ordinal);

    private readonly string _name;
    private readonly Lock _exposureLock = new();
    private uint? _exposedTo;

    private MemifBufferGroup(string name, MemifRegion region, PacketPool pool)
    {
        _name = name;
        Region = region;
        Pool = pool;
    }

    public MemifRegion Region { get; }

    public PacketPool Pool { get; }

    /// <summary>A named group (several interfaces, several peers) rather than one interface's private buffers.</summary>
    public bool IsShared => _name.Length > 0;

    /// <summary>
    /// Private buffers only: puts fresh memory behind the pool's frames when none of them is out
    /// (security review M5). The region is then shown to nobody yet. False when a frame is in the
    /// graph (its bytes must stay) or the kernel refused; the old memory stays.
    /// </summary>
    public bool TryRenew()
    {
        if (IsShared)
        {
            return false; // other members' peers map it now
        }
        bool renewed = false;
        if (!Pool.TryWhileAllFramesHome(() => renewed = Region.TryReplace("flow-memif-buffers")) || !renewed)
        {
            return false;
        }
        lock (_exposureLock)
        {
            _exposedTo = null;
        }
        return true;
    }

    /// <summary>A private region and pool (no group): one member, never shared.</summary>
    public static MemifBufferGroup CreatePrivate(string poolName, int frames, int bufferSize) =>
        Create(name: "", poolName, frames, bufferSize);

    /// <summary>
    /// Joins group <paramref name="name"/>, creating it with <paramref name="frames"/> frames of
    /// <paramref name="bufferSize"/> bytes when it does not exist yet. Members must agree on the
    /// buffer size: descriptors carry offsets into frames of one geometry.
    /// </summary>
    public static MemifBufferGroup Join(string name, int frames, int bufferSize) =>
        s_groups.Acquire(name, new Geometry(bufferSize), (_, _) => Create(name, $"memif-group-{name}", frames, bufferSize));

    private static MemifBufferGroup Create(string name, string poolName, int frames, int bufferSize)
    {
        int frameSize = MemifInterface.RoundUp64(bufferSize + PacketPool.DefaultDataOffset);
        if ((ulong)frames * (ulong)frameSize > uint.MaxValue)
        {
            throw new ArgumentException(
                $"{frames} buffers of {frameSize} bytes exceed 4 GiB: memif descriptor offsets are 32-bit (lower PoolFrames or BufferSize)");
        }
        MemifRegion region = MemifRegion.Create("flow-memif-buffers", (ulong)frames * (ulong)frameSize);
        PacketPool pool = PacketPool.Wrap(region.Base, (nuint)region.Size, frameSize, PacketPool.DefaultDataOffset, poolName);
        return new MemifBufferGroup(name, region, pool);
    }

    /// <summary>
    /// Records that a server running as <paramref name="uid"/> is about to map this memory; false
    /// (with the uid that did) when another user already has. A server keeps its mapping after
    /// it disconnects and nothing can revoke it, so the region is shown to one user besides root
    /// and Flow's own (who can read Flow's memory anyway) for the pool's lifetime (security
    /// review M5). <see cref="TryRenew"/> starts a fresh record when it can put new memory behind
    /// the pool; while packets of the pool are in the graph it cannot, and this guard remains.
    /// </summary>
    public bool TryExposeTo(uint uid, out uint earlier)
    {
        earlier = uid;
        if (MemifPeerCheck.IsSelfOrRoot(uid))
        {
            return true;
        }
        lock (_exposureLock)
        {
            _exposedTo ??= uid;
            earlier = _exposedTo.Value;
            return earlier == uid;
        }
    }

    /// <summary>Leaves the group; the last member to leave frees the pool and unmaps the region.</summary>
    public void Leave()
    {
        if (IsShared)
        {
            s_groups.Release(_name, this);
        }
        else
        {
            Free();
        }
    }

    /// <summary>Called by the registry when the last member of a named group left.</summary>
    void IDisposable.Dispose() => Free();

    private void Free()
    {
        Pool.Dispose();
        Region.Dispose();
    }

    /// <summary>What the members of a group must agree on; shown in the error when one does not.</summary>
    private sealed record Geometry(int BufferSize)
    {
        public override string ToString() => $"{BufferSize}-byte buffers";
    }
}
