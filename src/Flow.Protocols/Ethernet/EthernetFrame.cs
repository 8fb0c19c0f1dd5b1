using System.Runtime.CompilerServices;
using Flow.Protocols.Internal;
using Flow.Protocols.Vlan;

namespace Flow.Protocols.Ethernet;

/// <summary>
/// A view over an Ethernet II frame with any number of stacked 802.1Q / 802.1ad tags
/// (the walk is bounded by the buffer), exposing the innermost EtherType and the payload.
/// </summary>
/// <remarks>
/// <code>
/// | dst | src | TPID | TCI | TPID | TCI | EtherType | payload ...
///             '-- tag 0 --''-- tag 1 --'
/// </code>
/// Tag <c>i</c> is the <see cref="VlanTag"/> at offset 14 + 4i: its TCI and the type that
/// follows it, so the outer tag's TPID is <see cref="EthernetHeader.EtherType"/>.
/// The payload keeps any Ethernet padding; the L3 view trims it by its own length field.
/// </remarks>
public readonly ref struct EthernetFrame
{
    private readonly Span<byte> _bytes;
    private readonly int _tagCount;

    private EthernetFrame(Span<byte> bytes, int tagCount)
    {
        _bytes = bytes;
        _tagCount = tagCount;
    }

    /// <summary>The whole frame as given to <see cref="TryParse"/>.</summary>
    public Span<byte> Bytes => _bytes;

    public ref EthernetHeader Header => ref Wire.As<EthernetHeader>(_bytes);

    public int VlanTagCount => _tagCount;

    /// <summary>Header plus tags: the offset of the L3 header.</summary>
    public int HeaderLength => EthernetHeader.Size + (_tagCount * VlanTag.Size);

    /// <summary>The EtherType after the last tag.</summary>
    public NetU16 EtherType
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Wire.As<NetU16>(_bytes.Slice(HeaderLength - 2));
    }

    public Span<byte> Payload => _bytes.Slice(HeaderLength);

    /// <summary>Tag <paramref name="index"/>, outermost first.</summary>
    public ref VlanTag Tag(int index)
    {
        if ((uint)index >= (uint)_tagCount)
        {
            ThrowHelper.ThrowArgumentOutOfRange_Index(nameof(index));
        }

        return ref Wire.As<VlanTag>(_bytes.Slice(EthernetHeader.Size + (index * VlanTag.Size)));
    }

    /// <summary>
    /// Parses the header and walks the VLAN tags. False when the frame ends inside the
    /// header or inside a tag.
    /// </summary>
    public static bool TryParse(Span<byte> frame, out EthernetFrame view)
    {
        if ((uint)frame.Length < EthernetHeader.Size)
        {
            view = default;
            return false;
        }

        int tags = 0;
        int typeOffset = EthernetHeader.Size - 2;
        while (Ethernet.EtherType.IsVlanTag(Wire.As<NetU16>(frame.Slice(typeOffset)).Host))
        {
            if ((uint)(typeOffset + 2 + VlanTag.Size) > (uint)frame.Length)
            {
                view = default;
                return false;
            }

            tags++;
            typeOffset += VlanTag.Size;
        }

        view = new EthernetFrame(frame, tags);
        return true;
    }
}
