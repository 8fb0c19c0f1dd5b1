using System.Runtime.CompilerServices;

// Burst arrays of mbuf pointers are written by the shim before they are read; see Flow.Core's AssemblyInfo.
[module: SkipLocalsInit]
