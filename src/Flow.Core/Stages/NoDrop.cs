namespace Flow;

/// <summary>Drop-reason enum of a stage that never drops on its own account.</summary>
public enum NoDrop : byte
{
}
