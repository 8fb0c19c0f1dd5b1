using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Flow.Benchmarks.Net;

/// <summary>
/// sendmmsg(2) and recvmmsg(2) on a kernel UDP socket: up to <see cref="Batch"/> datagrams per
/// system call, as a load generator or a kernel server at its best does it. One datagram per
/// call costs a system call each way, which bounded the first version of the UDP echo load (one
/// thread, ~145 k datagrams/s) before either server did.
/// </summary>
internal sealed unsafe partial class BatchedUdp : IDisposable
{
    public const int Batch = 32;
    private const int MsgWaitForOne = 0x10000;
    private const int AddressLength = 16; // sockaddr_in

    private readonly Socket _socket;
    private readonly int _slotLength;
    private readonly byte* _buffers;
    private readonly byte* _addresses;
    private readonly IoVec* _vectors;
    private readonly MMsgHdr* _messages;

    public BatchedUdp(Socket socket, int slotLength)
    {
        _socket = socket;
        _slotLength = slotLength;
        _buffers = (byte*)NativeMemory.AllocZeroed((nuint)(Batch * slotLength));
        _addresses = (byte*)NativeMemory.AllocZeroed((nuint)(Batch * AddressLength));
        _vectors = (IoVec*)NativeMemory.AllocZeroed((nuint)(Batch * sizeof(IoVec)));
        _messages = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(Batch * sizeof(MMsgHdr)));
    }

    /// <summary>Slot <paramref name="i"/>'s bytes (a datagram to send, or the one received).</summary>
    public Span<byte> Slot(int i) => new(_buffers + (i * _slotLength), _slotLength);

    /// <summary>The length recvmmsg gave slot <paramref name="i"/>.</summary>
    public int ReceivedLength(int i) => (int)_messages[i].Length;

    /// <summary>
    /// Waits for at least one datagram and takes what is there, up to <see cref="Batch"/>: how
    /// many (0 when the socket's receive timeout passed). With <paramref name="keepSenders"/> each
    /// slot keeps its sender's address, for <see cref="Send"/> to answer it.
    /// </summary>
    public int Receive(bool keepSenders)
    {
        for (int i = 0; i < Batch; i++)
        {
            Prepare(i, _slotLength, keepSenders);
        }
        int n = RecvMMsg(Fd, _messages, Batch, MsgWaitForOne, null);
        if (n < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno is 11 or 4 ? 0 : throw new SocketException(errno); // EAGAIN (timeout), EINTR
        }
        return n;
    }

    /// <summary>
    /// Sends slots 0 to <paramref name="count"/> − 1, each <paramref name="lengths"/>[i] bytes long
    /// (to the connected peer, or with <paramref name="toSenders"/> to the address each slot was
    /// received from); returns how many the kernel took.
    /// </summary>
    public int Send(int count, ReadOnlySpan<int> lengths, bool toSenders)
    {
        for (int i = 0; i < count; i++)
        {
            Prepare(i, lengths[i], toSenders);
        }
        int sent = 0;
        while (sent < count)
        {
            int n = SendMMsg(Fd, _messages + sent, (uint)(count - sent), 0);
            if (n <= 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is 11 or 4 or 105)
                {
                    continue; // EAGAIN, EINTR, ENOBUFS: the queue drains
                }
                throw new SocketException(errno);
            }
            sent += n;
        }
        return sent;
    }

    public void Dispose()
    {
        NativeMemory.Free(_buffers);
        NativeMemory.Free(_addresses);
        NativeMemory.Free(_vectors);
        NativeMemory.Free(_messages);
    }

    private int Fd => (int)_socket.SafeHandle.DangerousGetHandle();

    private void Prepare(int i, int length, bool withAddress)
    {
        _vectors[i] = new IoVec { Base = _buffers + (i * _slotLength), Length = (nuint)length };
        ref MMsgHdr message = ref _messages[i];
        message.Header.Name = withAddress ? _addresses + (i * AddressLength) : null;
        message.Header.NameLength = withAddress ? AddressLength : 0u;
        message.Header.Vectors = _vectors + i;
        message.Header.VectorCount = 1;
        message.Header.Control = null;
        message.Header.ControlLength = 0;
        message.Header.Flags = 0;
        message.Length = 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public byte* Name;
        public uint NameLength;
        public IoVec* Vectors;
        public nuint VectorCount;
        public byte* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    private static partial int SendMMsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    private static partial int RecvMMsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);
}
