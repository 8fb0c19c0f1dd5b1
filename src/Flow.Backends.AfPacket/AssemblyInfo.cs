using System.Runtime.CompilerServices;

// Record headers and scratch are written before they are read; see Flow.Core's AssemblyInfo.
[module: SkipLocalsInit]
