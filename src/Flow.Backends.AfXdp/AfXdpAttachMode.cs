namespace Flow.Backends.AfXdp;

/// <summary>How the XDP redirect program is attached to the interface.</summary>
public enum AfXdpAttachMode
{
    /// <summary>Native (driver) mode when the driver supports it, else skb mode; the mode used is reported.</summary>
    Auto,

    /// <summary>Generic XDP in the kernel's skb path (XDP_FLAGS_SKB_MODE): works on every interface, copies.</summary>
    Skb,

    /// <summary>Driver XDP (XDP_FLAGS_DRV_MODE): needs driver support (veth, i40e, mlx5, ...); fails otherwise.</summary>
    Native,
}
