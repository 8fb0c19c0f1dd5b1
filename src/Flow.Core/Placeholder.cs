namespace Flow.Core; internal static class Placeholder { }
