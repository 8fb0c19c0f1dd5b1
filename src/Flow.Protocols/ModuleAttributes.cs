// Views and builders never read a local before writing it; skipping the zero-init
// prologue matters for the stackalloc'd scratch in the builders (STYLE D4 "Locals").
[module: System.Runtime.CompilerServices.SkipLocalsInit]
