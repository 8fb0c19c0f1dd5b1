// Stage code writes every local before reading it; skipping the zero-init prologue keeps
// the per-batch scratch free (STYLE D4 "Locals").
[module: System.Runtime.CompilerServices.SkipLocalsInit]
