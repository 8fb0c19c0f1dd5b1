namespace Flow.Backends.AfXdp;

/// <summary>Whether an AF_XDP socket binds in copy or zero-copy mode.</summary>
public enum AfXdpBindMode
{
    /// <summary>Zero-copy when the driver supports it, else copy; a fallback is logged and reported in <see cref="AfXdpPort.BindModes"/>.</summary>
    Auto,

    /// <summary>XDP_COPY: the kernel copies every frame between its buffers and the UMEM.</summary>
    Copy,

    /// <summary>XDP_ZEROCOPY: the NIC DMAs into the UMEM; bind fails when the driver cannot.</summary>
    ZeroCopy,
}
