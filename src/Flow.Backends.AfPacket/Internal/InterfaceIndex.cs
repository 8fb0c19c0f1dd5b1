using System.Runtime.InteropServices;

namespace Flow.Backends.AfPacket;

internal static class InterfaceIndex
{
    public static int Of(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 15)
        {
            ThrowHelper.ThrowArgument(nameof(name), $"interface name '{name}' must be 1 to 15 characters");
        }
        uint index = Interop.Sys.IfNameToIndex(name);
        if (index == 0)
        {
            ThrowHelper.ThrowIO($"interface '{name}' lookup", Marshal.GetLastPInvokeError());
        }
        return (int)index;
    }
}
