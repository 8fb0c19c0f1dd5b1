using Flow.Backends.AfXdp;

// Test host entry point. With "--hold-port <interface>" it is the child of the crash test: it
// opens an AF_XDP port, says "ready" and waits to be killed (bounded to 60 s).
if (args.Length == 2 && args[0] == "--hold-port")
{
    using var rx = new AfXdpRx(new AfXdpOptions { Interface = args[1], AttachMode = AfXdpAttachMode.Skb, BindMode = AfXdpBindMode.Copy });
    Console.WriteLine("ready");
    Console.Out.Flush();
    Thread.Sleep(TimeSpan.FromSeconds(60));
    return 0;
}
Console.Error.WriteLine("usage: --hold-port <interface> (the AF_XDP crash test's child)");
return 2;
