namespace Flow.TestKit; internal static class Placeholder { }
