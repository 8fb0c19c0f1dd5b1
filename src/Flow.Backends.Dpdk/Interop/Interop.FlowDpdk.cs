using System.Runtime.InteropServices;

namespace Flow;

internal static partial class Interop
{
    /// <summary>
    /// Flow's DPDK shim (native/flow_dpdk.h). Functions return 0 or a negative errno unless said
    /// otherwise. rx/tx burst and bulk alloc/free carry <see cref="SuppressGCTransitionAttribute"/>
    /// only where every driver qualifies; they do not (net_af_packet and net_tap make system calls,
    /// mempool get/put take the ring's atomics), so none does (research 3.3: measure per PMD first).
    /// </summary>
    internal static unsafe partial class FlowDpdk
    {
        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_get_layout")]
        public static partial void GetLayout(FlowDpdkLayout* layout);

        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_version")]
        public static partial byte* Version();

        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_init")]
        public static partial int Init(int argc, byte** argv);

        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_cleanup")]
        public static partial int Cleanup();

        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_runtime_dir")]
        public static partial byte* RuntimeDirectory();

        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_thread_register")]
        public static partial int ThreadRegister();

        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_thread_unregister")]
        public static partial void ThreadUnregister();

        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_lcore_id")]
        public static partial uint LcoreId();

        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_errno")]
        public static partial int Errno();

        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_strerror")]
        public static partial byte* StrError(int error);

        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_pool_create", StringMarshalling = StringMarshalling.Utf8)]
        public static partial nint PoolCreate(string name, uint count, uint cache, ushort dataRoom, int socket);

        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_pool_geometry")]
        public static partial int PoolGeometry(nint pool, FlowDpdkPoolGeometry* geometry);

        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_pool_free")]
        public static partial void PoolFree(nint pool);

        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_pool_available")]
        public static partial uint PoolAvailable(nint pool);

        /// <summary>All or nothing: 0 with <paramref name="count"/> mbufs, or -ENOENT with none.</summary>
        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_alloc_bulk")]
        public static partial int AllocBulk(nint pool, nint* mbufs, uint count);

        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_free_bulk")]
        public static partial void FreeBulk(nint* mbufs, uint count);

        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_rx")]
        public static partial ushort Rx(ushort port, ushort queue, nint* mbufs, ushort count);

        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_tx")]
        public static partial ushort Tx(ushort port, ushort queue, nint* mbufs, ushort count);

        /// <summary>-EEXIST (and the port) when a device of that name is already probed.</summary>
        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_port_probe", StringMarshalling = StringMarshalling.Utf8)]
        public static partial int PortProbe(string devargs, ushort* port);

        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_port_start")]
        public static partial int PortStart(ushort port, FlowDpdkPortConfig* config, FlowDpdkPortInfo* info);

        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_port_close")]
        public static partial int PortClose(ushort port);

        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_port_link")]
        public static partial int PortLink(ushort port, FlowDpdkLink* link);

        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_port_stats")]
        public static partial int PortStats(ushort port, FlowDpdkPortStats* stats);

        /// <summary>How many xstats the port has (call again with more room when above <paramref name="count"/>), or a negative errno.</summary>
        [LibraryImport(Libraries.FlowDpdk, EntryPoint = "flow_dpdk_port_xstats")]
        public static partial int PortXstats(ushort port, byte* names, ulong* values, uint count);
    }
}
