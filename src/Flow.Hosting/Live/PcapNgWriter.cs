using System.Buffers.Binary;
using System.Text;

namespace Flow.Hosting.Live;

/// <summary>
/// Writes a pcapng file (draft-ietf-opsawg-pcapng): one section, interfaces named after the
/// stage and port they watch, enhanced packet blocks with nanosecond timestamps and an
/// optional comment (a drop reason). Little-endian, as the byte-order magic says.
/// </summary>
/// <remarks>
/// <code>
/// Block:  0        4          8
///         +--------+----------+--------------------+----------+
///         | type   | length   | body (padded to 4) | length   |
///         +--------+----------+--------------------+----------+
/// SHB body: magic 1A2B3C4D | major 1 | minor 0 | section length -1 (i64) | options
/// IDB body: linktype 1 (Ethernet) u16 | reserved u16 | snaplen u32 | if_name, if_description, if_tsresol=9
/// EPB body: interface u32 | ts high u32 | ts low u32 | captured u32 | original u32 | data | opt_comment
/// Option:   code u16 | length u16 | value padded to 4; the list ends with code 0, length 0
/// </code>
/// </remarks>
internal sealed class PcapNgWriter : IDisposable
{
    private const uint SectionHeaderType = 0x0A0D0D0A;
    private const uint InterfaceDescriptionType = 1;
    private const uint EnhancedPacketType = 6;
    private const ushort OptionEnd = 0;
    private const ushort OptionComment = 1;
    private const ushort OptionShbUserApplication = 4;
    private const ushort OptionIfName = 2;
    private const ushort OptionIfDescription = 3;
    private const ushort OptionIfTimestampResolution = 9;
    private const ushort LinkTypeEthernet = 1;

    private readonly Stream _stream;
    private readonly MemoryStream _block = new();
    private int _interfaces;

    public PcapNgWriter(Stream stream)
    {
        _stream = stream;
        BeginBlock();
        Write32(0x1A2B3C4D);
        Write16(1);
        Write16(0);
        Write64(-1);
        Option(OptionShbUserApplication, Encoding.UTF8.GetBytes("flow (.NET packet graph)"));
        EndOptions();
        EndBlock(SectionHeaderType);
    }

    /// <summary>Adds an interface; returns its id for <see cref="WritePacket"/>.</summary>
    public int AddInterface(string name, string description, int snapLength)
    {
        BeginBlock();
        Write16(LinkTypeEthernet);
        Write16(0);
        Write32((uint)snapLength);
        Option(OptionIfName, Encoding.UTF8.GetBytes(name));
        Option(OptionIfDescription, Encoding.UTF8.GetBytes(description));
        Option(OptionIfTimestampResolution, [9]);
        EndOptions();
        EndBlock(InterfaceDescriptionType);
        return _interfaces++;
    }

    public void WritePacket(int interfaceId, long unixNanoseconds, ReadOnlySpan<byte> data, int originalLength, string? comment)
    {
        BeginBlock();
        Write32((uint)interfaceId);
        Write32((uint)((ulong)unixNanoseconds >> 32));
        Write32((uint)unixNanoseconds);
        Write32((uint)data.Length);
        Write32((uint)originalLength);
        _block.Write(data);
        Pad(data.Length);
        if (comment is not null)
        {
            Option(OptionComment, Encoding.UTF8.GetBytes(comment));
            EndOptions();
        }
        EndBlock(EnhancedPacketType);
    }

    public void Flush() => _stream.Flush();

    public void Dispose() => _stream.Dispose();

    private void BeginBlock() => _block.SetLength(0);

    private void EndBlock(uint type)
    {
        uint length = (uint)_block.Length + 12;
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(head, type);
        BinaryPrimitives.WriteUInt32LittleEndian(head.Slice(4), length);
        _stream.Write(head);
        _stream.Write(_block.GetBuffer(), 0, (int)_block.Length);
        _stream.Write(head.Slice(4));
    }

    private void Option(ushort code, ReadOnlySpan<byte> value)
    {
        Write16(code);
        Write16((ushort)value.Length);
        _block.Write(value);
        Pad(value.Length);
    }

    private void EndOptions()
    {
        Write16(OptionEnd);
        Write16(0);
    }

    private void Pad(int length)
    {
        for (int i = length; i % 4 != 0; i++)
        {
            _block.WriteByte(0);
        }
    }

    private void Write16(ushort value)
    {
        Span<byte> bytes = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        _block.Write(bytes);
    }

    private void Write32(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        _block.Write(bytes);
    }

    private void Write64(long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        _block.Write(bytes);
    }
}
