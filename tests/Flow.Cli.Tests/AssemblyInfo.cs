using Xunit;

// Each test starts a 'flow' process with a worker thread; two cores fit one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
