namespace Flow;

/// <summary>
/// Who sent a control request, as the kernel says (SO_PEERCRED of the control socket): a
/// command that creates files (a capture) creates them as this user.
/// </summary>
/// <param name="ProcessId">The client's process id.</param>
/// <param name="UserId">Its user id.</param>
/// <param name="GroupId">Its primary group id.</param>
public readonly record struct ControlCaller(int ProcessId, uint UserId, uint GroupId);
