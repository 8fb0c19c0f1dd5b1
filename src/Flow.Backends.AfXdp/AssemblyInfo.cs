using System.Runtime.CompilerServices;

// Descriptor scratch and stack buffers are written before they are read. Structs handed to the
// kernel (sockaddr_xdp, xdp_umem_reg, xdp_statistics) are zeroed explicitly where they are built.
[module: SkipLocalsInit]
