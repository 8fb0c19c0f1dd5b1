namespace Flow.Core.Tests; public class PlaceholderTests { [Xunit.Fact] public void Runs() { } }
