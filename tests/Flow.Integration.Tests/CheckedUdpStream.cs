namespace Flow.Integration.Tests;

/// <summary>
/// A paced UDP stream between two Linux hosts whose every datagram the receiver checks: a 4-byte
/// sequence number, then 96 bytes that depend on it. The receiver prints "READY" once bound, and
/// at the end "&lt;distinct sequences&gt; &lt;corrupt payloads&gt;"; the sender prints "sent".
/// </summary>
internal static class CheckedUdpStream
{
    /// <summary>Python for the sender: <paramref name="count"/> datagrams at <paramref name="rate"/> a second to <paramref name="address"/>:<paramref name="port"/>.</summary>
    public static string Sender(string address, int port, int count, int rate) => $"""
        import socket, time
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        start = time.time()
        for n in range({count}):
            due = start + n / {rate}
            if n % 40 == 0 and due > time.time():
                time.sleep(due - time.time())
            s.sendto(n.to_bytes(4, 'big') + bytes((n + i) % 256 for i in range(96)), ('{address}', {port}))
        print('sent')
        """;

    /// <summary>Python for the receiver on <paramref name="address"/>:<paramref name="port"/>: ends 3 s after the stream stops (30 s at most).</summary>
    public static string Receiver(string address, int port) => $"""
        import socket, time
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind(('{address}', {port}))
        s.settimeout(3)
        print('READY', flush=True)
        seen, bad = set(), 0
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                d = s.recv(2048)
            except socket.timeout:
                if seen:
                    break
                continue
            n = int.from_bytes(d[:4], 'big')
            if d[4:] != bytes((n + i) % 256 for i in range(96)):
                bad += 1
            seen.add(n)
        print(len(seen), bad)
        """;
}
