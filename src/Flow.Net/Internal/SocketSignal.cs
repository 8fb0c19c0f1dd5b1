using System.Threading.Tasks.Sources;

namespace Flow.Net.Internal;

/// <summary>
/// Where one application thread waits for a socket's worker: a receiver for a datagram, a sender
/// for room in the send ring. The worker's side costs one volatile read when nobody waits; a wake
/// queues this object on the thread pool (it is its own work item), so the worker allocates
/// nothing and never runs the application's continuation itself.
/// </summary>
/// <remarks>
/// The waiter arms the signal, checks its condition again, and either takes the wait back
/// (<see cref="Disarm"/>: the condition came true meanwhile) or awaits <see cref="WaitAsync"/>;
/// <see cref="WaitUnlessAsync"/> does the three.
/// Exactly one of the worker's <see cref="Wake"/>, a cancellation, <see cref="Fail"/> or the
/// waiter's own disarm moves an armed signal back to idle, so a wait completes once.
/// </remarks>
internal sealed class SocketSignal : IValueTaskSource, IThreadPoolWorkItem
{
    private const int Idle = 0;
    private const int Armed = 1;

    // Completed from the thread pool (Execute) or a canceller: the continuation may run inline there.
    private ManualResetValueTaskSourceCore<bool> _core;
    private CancellationTokenRegistration _cancellation;
    private int _state;

    /// <summary>Waiter: announces a wait. Check the condition again afterwards.</summary>
    private void Arm()
    {
        _core.Reset();
        Interlocked.Exchange(ref _state, Armed);
    }

    /// <summary>Waiter: takes an armed wait back; false when a wake (or failure) already claimed it, so await it.</summary>
    private bool Disarm() => Interlocked.CompareExchange(ref _state, Idle, Armed) == Armed;

    /// <summary>Waiter: the armed wait, ended by a wake, <paramref name="cancellationToken"/>, or <see cref="Fail"/>.</summary>
    private ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((SocketSignal)state!).Cancel(token), this);
        }
        return new ValueTask(this, _core.Version);
    }

    /// <summary>
    /// Waiter: waits for the next wake unless <paramref name="ready"/>, asked once the signal is
    /// armed (so a wake between the caller's own check and the arming is not lost), says there is
    /// something to do already. The caller checks again after it returns, either way.
    /// </summary>
    public ValueTask WaitUnlessAsync<TState>(Func<TState, bool> ready, TState state, CancellationToken cancellationToken)
    {
        Arm();
        if (ready(state))
        {
            // Taken back; or a wake claimed the wait already, and that wait completes at once.
            return Disarm() ? ValueTask.CompletedTask : WaitAsync(CancellationToken.None);
        }
        return WaitAsync(cancellationToken);
    }

    /// <summary>Worker: wakes the waiter, if one is armed.</summary>
    public void Wake()
    {
        if (Volatile.Read(ref _state) == Armed && Interlocked.CompareExchange(ref _state, Idle, Armed) == Armed)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Ends an armed wait with <paramref name="error"/> (the socket was closed).</summary>
    public void Fail(Exception error)
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Armed) == Armed)
        {
            _core.SetException(error);
        }
    }

    private void Cancel(CancellationToken token)
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Armed) == Armed)
        {
            _core.SetException(new OperationCanceledException(token));
        }
    }

    void IThreadPoolWorkItem.Execute() => _core.SetResult(true);

    void IValueTaskSource.GetResult(short token)
    {
        _cancellation.Dispose();
        _cancellation = default;
        _core.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
