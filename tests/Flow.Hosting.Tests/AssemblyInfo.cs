using Xunit;

// Graph tests start worker threads; on a 2-core machine, parallel test classes would
// oversubscribe the cores and turn busy-polling workers into a benchmark of the scheduler.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
