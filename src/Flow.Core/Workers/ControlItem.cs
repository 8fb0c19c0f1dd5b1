namespace Flow;

/// <summary>A control message for a stage, run by the stage's worker between batches.</summary>
internal abstract class ControlItem
{
    public abstract void Execute();

    public abstract void Cancel(Exception reason);
}

internal sealed class ControlItem<TStage, TResult> : ControlItem where TStage : Stage
{
    private readonly TStage _stage;
    private readonly Func<TStage, TResult> _action;

    // Continuations run on the thread pool, never on the worker that completes the reply.
    private readonly TaskCompletionSource<TResult> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ControlItem(TStage stage, Func<TStage, TResult> action)
    {
        _stage = stage;
        _action = action;
    }

    public Task<TResult> Reply => _reply.Task;

    public override void Execute()
    {
        try
        {
            _reply.TrySetResult(_action(_stage));
        }
        catch (Exception e)
        {
            // A failed control message is the caller's error (a bad route, say), not a stage fault.
            _reply.TrySetException(e);
        }
    }

    public override void Cancel(Exception reason) => _reply.TrySetException(reason);
}
