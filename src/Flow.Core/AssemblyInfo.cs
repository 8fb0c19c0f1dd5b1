using System.Runtime.CompilerServices;

// Packet buffers and stack scratch are written before they are read; zeroing them costs cycles
// on every batch. Structs handed to the kernel are zeroed explicitly where they are built.
[module: SkipLocalsInit]
