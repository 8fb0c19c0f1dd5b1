using System.Runtime.InteropServices;
using System.Text;
using Flow.Backends.Memif.Protocol;

namespace Flow.Backends.Memif.Internal;

/// <summary>Outcome of waiting for one control message.</summary>
internal enum ReceiveStatus
{
    Message,
    Timeout,
    /// <summary>The peer closed the connection (EOF, reset).</summary>
    Closed,
    /// <summary>The record was not one well-formed 128-byte message.</summary>
    Malformed,
}

/// <summary>
/// One memif control connection: an AF_UNIX SOCK_SEQPACKET socket carrying 128-byte messages,
/// with at most one file descriptor per message as SCM_RIGHTS.
/// </summary>
internal sealed unsafe class MemifControlChannel : IDisposable
{
    /// <summary>Room for this many fds in one record; extra fds a peer sends are closed, never kept.</summary>
    private const int MaxFdsPerRecord = 8;

    private readonly SafeFileDescriptor _socket;
    private int _disposed;

    /// <summary>Takes ownership of <paramref name="fd"/>, a connected memif socket.</summary>
    public MemifControlChannel(int fd) => _socket = new SafeFileDescriptor(fd);

    public int Fd => _socket.Fd;

    /// <summary>Connects to a listening memif socket; null (with errno) when nobody listens.</summary>
    public static MemifControlChannel? Connect(string name, bool isAbstract, out int errno)
    {
        int fd = Interop.Sys.Socket(Interop.Sys.AF_UNIX, Interop.Sys.SOCK_SEQPACKET | Interop.Sys.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }
        Interop.Sys.SockAddrUn address;
        int length = Interop.Sys.MakeAddress(name, isAbstract, &address);
        var channel = new MemifControlChannel(fd);
        if (length < 0 || Interop.Sys.Connect(fd, &address, (uint)length) != 0)
        {
            errno = length < 0 ? Interop.Errno.ENAMETOOLONG : Marshal.GetLastPInvokeError();
            channel.Dispose();
            return null;
        }
        errno = 0;
        return channel;
    }

    /// <summary>Sends one message (and optionally one fd); returns 0 or errno.</summary>
    public int Send(ref MemifMessage message, int passFd = -1)
    {
        byte* control = stackalloc byte[Interop.Sys.CmsgSpace(sizeof(int))];
        Interop.Sys.MsgHdr header = default; // zeroed: handed to the kernel
        Interop.Sys.IoVec iov;
        fixed (MemifMessage* m = &message)
        {
            iov.Base = m;
            iov.Length = MemifConstants.MessageSize;
            header.Iov = &iov;
            header.IovLength = 1;
            if (passFd >= 0)
            {
                int space = Interop.Sys.CmsgSpace(sizeof(int));
                new Span<byte>(control, space).Clear(); // padding bytes go to the kernel
                var cmsg = (Interop.Sys.CmsgHdr*)control;
                cmsg->Length = (nuint)Interop.Sys.CmsgLen(sizeof(int));
                cmsg->Level = Interop.Sys.SOL_SOCKET;
                cmsg->Type = Interop.Sys.SCM_RIGHTS;
                *(int*)(control + sizeof(Interop.Sys.CmsgHdr)) = passFd;
                header.Control = control;
                header.ControlLength = (nuint)space;
            }
            nint sent = Interop.Sys.SendMsg(Fd, &header, Interop.Sys.MSG_NOSIGNAL | Interop.Sys.MSG_DONTWAIT);
            if (sent != MemifConstants.MessageSize)
            {
                return sent < 0 ? Marshal.GetLastPInvokeError() : Interop.Errno.EIO; // a short record
            }
        }
        return 0;
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> for one message. <paramref name="receivedFd"/>
    /// is the fd that came with it (or -1); the caller owns it.
    /// </summary>
    public ReceiveStatus Receive(out MemifMessage message, out int receivedFd, int timeoutMs)
    {
        message = default;
        receivedFd = -1;
        if (timeoutMs != 0)
        {
            Interop.Sys.PollFd pfd = new() { Fd = Fd, Events = Interop.Sys.POLLIN };
            int ready = Interop.Sys.Poll(&pfd, 1, timeoutMs);
            if (ready == 0)
            {
                return ReceiveStatus.Timeout;
            }
        }
        return ReceiveNow(out message, out receivedFd);
    }

    /// <summary>Reads one record without waiting (the caller polled the fd).</summary>
    public ReceiveStatus ReceiveNow(out MemifMessage message, out int receivedFd)
    {
        message = default;
        receivedFd = -1;
        int controlSize = Interop.Sys.CmsgSpace(sizeof(int) * MaxFdsPerRecord);
        byte* control = stackalloc byte[controlSize];
        new Span<byte>(control, controlSize).Clear();
        // One byte more than a message: a longer record shows up as MSG_TRUNC or a long count.
        byte* buffer = stackalloc byte[MemifConstants.MessageSize + 1];
        Interop.Sys.IoVec iov = new() { Base = buffer, Length = MemifConstants.MessageSize + 1 };
        Interop.Sys.MsgHdr header = default;
        header.Iov = &iov;
        header.IovLength = 1;
        header.Control = control;
        header.ControlLength = (nuint)controlSize;
        nint received = Interop.Sys.RecvMsg(Fd, &header, Interop.Sys.MSG_DONTWAIT | Interop.Sys.MSG_CMSG_CLOEXEC);
        if (received < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return Interop.Errno.IsWouldBlock(errno) ? ReceiveStatus.Timeout : ReceiveStatus.Closed;
        }
        receivedFd = TakeFds(&header);
        if (received == 0)
        {
            CloseFd(ref receivedFd);
            return ReceiveStatus.Closed;
        }
        if (received != MemifConstants.MessageSize || (header.Flags & (Interop.Sys.MSG_TRUNC | Interop.Sys.MSG_CTRUNC)) != 0)
        {
            CloseFd(ref receivedFd);
            return ReceiveStatus.Malformed;
        }
        message = *(MemifMessage*)buffer;
        return ReceiveStatus.Message;
    }

    /// <summary>Sends DISCONNECT with a reason (best effort: the peer may be gone).</summary>
    public void SendDisconnect(string reason, uint code = 0)
    {
        MemifMessage message = default;
        message.Type = MemifMessageType.Disconnect;
        message.Disconnect.Code = code;
        WriteString(reason, message.Disconnect.Reason, MemifConstants.DisconnectReasonSize);
        Send(ref message);
    }

    /// <summary>Sends a message that has no body.</summary>
    public int SendEmpty(MemifMessageType type)
    {
        MemifMessage message = default;
        message.Type = type;
        return Send(ref message);
    }

    /// <summary>Copies a string into a fixed NUL-padded field, truncated to leave a final NUL.</summary>
    public static void WriteString(string value, byte* field, int size)
    {
        new Span<byte>(field, size).Clear();
        int max = Math.Min(Encoding.UTF8.GetByteCount(value), size - 1);
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        new ReadOnlySpan<byte>(bytes, 0, max).CopyTo(new Span<byte>(field, size));
    }

    /// <summary>
    /// Reads a NUL-padded field a peer wrote; never reads past <paramref name="size"/>. Control
    /// and format characters become '?': names and reasons end up in logs and on the console,
    /// where an ESC sequence or a newline from a peer could forge or hide lines (security review L6).
    /// </summary>
    public static string ReadString(byte* field, int size)
    {
        var span = new ReadOnlySpan<byte>(field, size);
        int end = span.IndexOf((byte)0);
        string text = Encoding.UTF8.GetString(end < 0 ? span : span.Slice(0, end));
        return string.Create(text.Length, text, static (destination, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                char c = source[i];
                destination[i] = char.IsControl(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format ? '?' : c;
            }
        });
    }

    /// <summary>The reason of a DISCONNECT message.</summary>
    public static string DisconnectReason(in MemifMessage message)
    {
        MemifDisconnect body = message.Disconnect;
        return ReadString(body.Reason, MemifConstants.DisconnectReasonSize);
    }

    /// <summary>The interface name of a CONNECT or CONNECTED message.</summary>
    public static string ConnectName(in MemifMessage message)
    {
        MemifConnect body = message.Connect;
        return ReadString(body.InterfaceName, MemifConstants.NameSize);
    }

    private static int TakeFds(Interop.Sys.MsgHdr* header)
    {
        int kept = -1;
        byte* control = (byte*)header->Control;
        nuint length = header->ControlLength;
        nuint offset = 0;
        while (offset + (nuint)sizeof(Interop.Sys.CmsgHdr) <= length)
        {
            var cmsg = (Interop.Sys.CmsgHdr*)(control + offset);
            if (cmsg->Length < (nuint)sizeof(Interop.Sys.CmsgHdr) || offset + cmsg->Length > length)
            {
                break;
            }
            if (cmsg->Level == Interop.Sys.SOL_SOCKET && cmsg->Type == Interop.Sys.SCM_RIGHTS)
            {
                int count = (int)((cmsg->Length - (nuint)sizeof(Interop.Sys.CmsgHdr)) / sizeof(int));
                int* fds = (int*)(control + offset + (nuint)sizeof(Interop.Sys.CmsgHdr));
                for (int i = 0; i < count; i++)
                {
                    if (kept < 0)
                    {
                        kept = fds[i];
                    }
                    else
                    {
                        Interop.Sys.Close(fds[i]); // a memif message carries one fd; more is a peer bug
                    }
                }
            }
            offset += (nuint)Interop.Sys.CmsgAlign((int)cmsg->Length);
        }
        return kept;
    }

    public static void CloseFd(ref int fd)
    {
        if (fd >= 0)
        {
            Interop.Sys.Close(fd);
            fd = -1;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        // Shut down first: a peer blocked on the socket sees the end now, even if another
        // process still holds a copy of the fd.
        Interop.Sys.Shutdown(Fd, Interop.Sys.SHUT_RDWR);
        _socket.Dispose();
    }
}
