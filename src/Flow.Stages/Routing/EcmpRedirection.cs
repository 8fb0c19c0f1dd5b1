namespace Flow.Stages.Routing;

/// <summary>
/// Fills an ECMP redirection table (grout <c>group_nexthop.c</c>, a "resilient hashing" table):
/// 2^k slots each naming a member, a flow's hash picks a slot. Members get slots in
/// proportion to their weights, and a change moves as few slots as it can: a removed
/// member's slots go to the others and no other slot changes; an added member takes slots
/// only from members above their new share.
/// </summary>
public static class EcmpRedirection
{
    /// <summary>
    /// Rewrites <paramref name="slots"/> (current member ids; any id not in
    /// <paramref name="members"/>, such as 0, counts as free) for <paramref name="members"/> with
    /// <paramref name="weights"/>. Returns how many slots changed.
    /// </summary>
    public static int Rebalance(Span<uint> slots, ReadOnlySpan<uint> members, ReadOnlySpan<int> weights)
    {
        int count = members.Length;
        if (count == 0 || count != weights.Length || count > slots.Length)
        {
            throw new ArgumentException($"{count} members for {slots.Length} slots with {weights.Length} weights: need 1 to {slots.Length} members, one weight each");
        }
        Span<int> target = count <= 256 ? stackalloc int[count] : new int[count];
        Targets(slots.Length, weights, target);
        Span<int> have = count <= 256 ? stackalloc int[count] : new int[count];
        have.Clear();
        const int Free = -1;
        Span<int> owner = slots.Length <= 4096 ? stackalloc int[slots.Length] : new int[slots.Length];
        for (int s = 0; s < slots.Length; s++)
        {
            int m = members.IndexOf(slots[s]);
            owner[s] = m;
            if (m >= 0)
            {
                have[m]++;
            }
        }
        // Members above their share give up their last slots.
        for (int s = slots.Length - 1; s >= 0; s--)
        {
            int m = owner[s];
            if (m >= 0 && have[m] > target[m])
            {
                have[m]--;
                owner[s] = Free;
            }
        }
        // Free slots go round-robin to members below their share, so a member's slots spread
        // over the table.
        int changed = 0;
        int next = 0;
        for (int s = 0; s < slots.Length; s++)
        {
            if (owner[s] >= 0)
            {
                continue;
            }
            while (have[next] >= target[next])
            {
                next = next + 1 == count ? 0 : next + 1;
            }
            have[next]++;
            if (slots[s] != members[next])
            {
                slots[s] = members[next];
                changed++;
            }
            next = next + 1 == count ? 0 : next + 1;
        }
        return changed;
    }

    /// <summary>Slots per member: proportional to weight, largest remainder first, at least one each.</summary>
    internal static void Targets(int slotCount, ReadOnlySpan<int> weights, Span<int> target)
    {
        long total = 0;
        foreach (int weight in weights)
        {
            if (weight < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(weights), weight, "an ECMP weight is at least 1");
            }
            total += weight;
        }
        int given = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            target[i] = (int)(slotCount * (long)weights[i] / total);
            given += target[i];
        }
        // At most one extra slot each (the floors lose less than one slot per member): to the
        // largest remainders, ties to the earlier member, so the result is deterministic.
        for (; given < slotCount; given++)
        {
            int best = -1;
            long bestRemainder = -1;
            for (int i = 0; i < weights.Length; i++)
            {
                long remainder = slotCount * (long)weights[i] % total;
                bool topped = target[i] > slotCount * (long)weights[i] / total;
                if (!topped && remainder > bestRemainder)
                {
                    bestRemainder = remainder;
                    best = i;
                }
            }
            target[best]++;
        }
        for (int i = 0; i < weights.Length; i++)
        {
            while (target[i] == 0)
            {
                int largest = 0;
                for (int j = 1; j < weights.Length; j++)
                {
                    largest = target[j] > target[largest] ? j : largest;
                }
                target[largest]--;
                target[i]++;
            }
        }
    }
}
