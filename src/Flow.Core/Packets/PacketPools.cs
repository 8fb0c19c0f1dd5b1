using System.Runtime.CompilerServices;
using Flow.Internal;

namespace Flow;

/// <summary>
/// Registry of live pools by id, so a packet of any origin can be freed from its metadata alone.
/// </summary>
public static class PacketPools
{
    /// <summary>Most pools alive at once; an id is a <see cref="PacketMeta.PoolId"/>.</summary>
    public const int MaxPools = 4096;

    private static readonly PacketPool?[] s_pools = new PacketPool?[MaxPools];
    private static readonly Lock s_registration = new();

    /// <summary>The pool with this id, or null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static PacketPool? Get(ushort id) => id < MaxPools ? Volatile.Read(ref s_pools[id]) : null;

    /// <summary>Frees packets that may come from several pools, one bulk free per run of the same pool.</summary>
    public static void Free(ReadOnlySpan<Packet> packets)
    {
        int start = 0;
        while (start < packets.Length)
        {
            ushort id = packets[start].Meta.PoolId;
            PacketPool? pool = Get(id);
            if (pool is null)
            {
                // A frame whose pool is gone is not ours to touch again; the pool's owner already freed its memory.
                start = EndOfRun(packets, start, id);
                continue;
            }
            // The pool frees frames up to the first that is not its own, so the run needs no pass of its own.
            int taken = pool.FreeLeadingRun(packets.Slice(start));
            if (taken == 0)
            {
                // The metadata names this pool but the frame is not one of its: refused, as FreeBulk refuses it.
                pool.CountInvalidFree();
                taken = 1;
            }
            start += taken;
        }
    }

    private static int EndOfRun(ReadOnlySpan<Packet> packets, int start, ushort id)
    {
        int end = start + 1;
        while (end < packets.Length && packets[end].Meta.PoolId == id)
        {
            end++;
        }
        return end;
    }

    /// <summary>Frees one packet to the pool it came from.</summary>
    public static void Free(Packet packet) => Free(new ReadOnlySpan<Packet>(in packet));

    internal static ushort Register(PacketPool pool)
    {
        lock (s_registration)
        {
            // Id 0 is never used, so a zeroed frame never looks like it has a pool.
            for (int i = 1; i < MaxPools; i++)
            {
                if (s_pools[i] is null)
                {
                    Volatile.Write(ref s_pools[i], pool);
                    return (ushort)i;
                }
            }
        }
        ThrowHelper.ThrowInvalidOperation($"more than {MaxPools - 1} packet pools are alive");
        return 0;
    }

    internal static void Unregister(PacketPool pool)
    {
        lock (s_registration)
        {
            if (ReferenceEquals(s_pools[pool.Id], pool))
            {
                Volatile.Write(ref s_pools[pool.Id], null);
            }
        }
    }
}
