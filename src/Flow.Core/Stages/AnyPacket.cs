namespace Flow;

/// <summary>
/// Root of the packet types that ports declare they carry. A port's type says what a stage
/// may assume about the packets it receives; a connection is allowed when the receiving
/// stage accepts the sending port's type or a base of it. Users add their own by deriving.
/// </summary>
public abstract class AnyPacket
{
    private protected AnyPacket()
    {
    }
}
