/*
 * flow_dpdk: see flow_dpdk.h. Built by src/Flow.Backends.Dpdk (an MSBuild target running
 * build.sh) against Debian's libdpdk with pkg-config's flags, so the baseline is
 * -march=corei7 rather than the build machine's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_mempool.h>
#include <rte_version.h>

#include "flow_dpdk.h"

#define MAX_EAL_ARGS 64

void flow_dpdk_get_layout(struct flow_dpdk_layout *out)
{
	memset(out, 0, sizeof(*out));
	out->abi_version = FLOW_DPDK_ABI_VERSION;
	out->mbuf_size = sizeof(struct rte_mbuf);
	out->off_buf_addr = offsetof(struct rte_mbuf, buf_addr);
	out->off_data_off = offsetof(struct rte_mbuf, data_off);
	out->off_refcnt = offsetof(struct rte_mbuf, refcnt);
	out->off_nb_segs = offsetof(struct rte_mbuf, nb_segs);
	out->off_port = offsetof(struct rte_mbuf, port);
	out->off_ol_flags = offsetof(struct rte_mbuf, ol_flags);
	out->off_pkt_len = offsetof(struct rte_mbuf, pkt_len);
	out->off_data_len = offsetof(struct rte_mbuf, data_len);
	out->off_vlan_tci = offsetof(struct rte_mbuf, vlan_tci);
	out->off_hash = offsetof(struct rte_mbuf, hash);
	out->off_buf_len = offsetof(struct rte_mbuf, buf_len);
	out->off_pool = offsetof(struct rte_mbuf, pool);
	out->off_next = offsetof(struct rte_mbuf, next);
	out->headroom = RTE_PKTMBUF_HEADROOM;
	out->max_lcore = RTE_MAX_LCORE;
	out->rx_rss_hash_flag = RTE_MBUF_F_RX_RSS_HASH;
	out->rx_vlan_stripped_flag = RTE_MBUF_F_RX_VLAN_STRIPPED;
}

const char *flow_dpdk_version(void)
{
	return rte_version();
}

struct init_call {
	int argc;
	char *argv[MAX_EAL_ARGS + 2];
	int result;
};

static void *init_thread(void *arg)
{
	struct init_call *call = arg;
	call->result = rte_eal_init(call->argc, call->argv) < 0 ? -rte_errno : 0;
	return NULL;
}

static int names_lcores(int argc, const char *const *argv)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-l") == 0 || strcmp(a, "-c") == 0 || strncmp(a, "--lcores", 8) == 0)
			return 1;
	}
	return 0;
}

/* "--lcores=0@(1,3,4)": lcore 0 may run on every CPU the process may use. EAL otherwise
 * pins its main thread to one CPU (research 3.2), and in a container's cpuset CPU 0 may not
 * be ours at all. */
static int lcores_argument(char *buffer, size_t size)
{
	cpu_set_t set;
	if (sched_getaffinity(getpid(), sizeof(set), &set) != 0)
		return -errno;
	size_t used = (size_t)snprintf(buffer, size, "--lcores=0@(");
	int first = 1;
	for (int cpu = 0; cpu < CPU_SETSIZE && used < size; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		used += (size_t)snprintf(buffer + used, size - used, first ? "%d" : ",%d", cpu);
		first = 0;
	}
	if (used + 2 > size)
		return -E2BIG;
	buffer[used++] = ')';
	buffer[used] = 0;
	return 0;
}

int flow_dpdk_init(int argc, const char *const *argv)
{
	static char lcores[1024];
	struct init_call call;
	pthread_t thread;
	int rc;

	if (argc < 1 || argc > MAX_EAL_ARGS)
		return -E2BIG;
	memset(&call, 0, sizeof(call));
	/* EAL's getopt may permute argv: it gets a private array (the strings are the caller's,
	 * alive for the call). */
	for (int i = 0; i < argc; i++)
		call.argv[i] = (char *)argv[i];
	call.argc = argc;
	if (!names_lcores(argc, argv)) {
		rc = lcores_argument(lcores, sizeof(lcores));
		if (rc != 0)
			return rc;
		call.argv[call.argc++] = lcores;
	}
	call.argv[call.argc] = NULL;
	rc = pthread_create(&thread, NULL, init_thread, &call);
	if (rc != 0)
		return -rc;
	pthread_join(thread, NULL);
	return call.result;
}

int flow_dpdk_cleanup(void)
{
	return rte_eal_cleanup() < 0 ? -rte_errno : 0;
}

const char *flow_dpdk_runtime_dir(void)
{
	return rte_eal_get_runtime_dir();
}

/* Registrations of this thread: a worker running several DPDK stages registers once and
 * unregisters when its last stage stops. */
static __thread int registrations;

int flow_dpdk_thread_register(void)
{
	if (registrations > 0 || rte_lcore_id() != LCORE_ID_ANY) {
		registrations++;
		return 0;
	}
	if (rte_thread_register() != 0)
		return -rte_errno;
	registrations = 1;
	return 0;
}

void flow_dpdk_thread_unregister(void)
{
	if (registrations == 0)
		return;
	if (--registrations == 0)
		rte_thread_unregister();
}

unsigned flow_dpdk_lcore_id(void)
{
	return rte_lcore_id();
}

int flow_dpdk_errno(void)
{
	return rte_errno;
}

const char *flow_dpdk_strerror(int error)
{
	return rte_strerror(error);
}

/*
 * rte_pktmbuf_pool_create, except that in IOVA-as-VA mode (--no-huge, vfio) the mbufs are packed
 * one after another. rte_pktmbuf_pool_create keeps every object inside one page when it cannot
 * prove physical contiguity, which with --no-huge's 4 KiB pages puts each 2368-byte object (objhdr and mbuf) on a
 * page of its own and the first at another offset: not an evenly spaced run, and 42 % of the
 * memory wasted. With IOVA = VA any virtual range is DMA-contiguous, so RTE_MEMPOOL_F_NO_IOVA_CONTIG
 * costs nothing. In PA mode the default layout stays and Flow refuses the pool (geometry).
 * No private area: Flow's metadata lives in a side array (docs/adr/008).
 */
struct rte_mempool *flow_dpdk_pool_create(const char *name, uint32_t count, uint32_t cache,
		uint16_t data_room, int socket)
{
	struct rte_pktmbuf_pool_private priv;
	struct rte_mempool *mp;
	unsigned flags = rte_eal_iova_mode() == RTE_IOVA_VA ? RTE_MEMPOOL_F_NO_IOVA_CONTIG : 0;

	if (flags == 0)
		return rte_pktmbuf_pool_create(name, count, cache, 0, data_room, socket);
	memset(&priv, 0, sizeof(priv));
	priv.mbuf_data_room_size = data_room;
	priv.mbuf_priv_size = 0;
	mp = rte_mempool_create_empty(name, count, sizeof(struct rte_mbuf) + data_room, cache,
			sizeof(priv), socket, flags);
	if (mp == NULL)
		return NULL;
	if (rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), NULL) != 0)
		goto fail;
	rte_pktmbuf_pool_init(mp, &priv);
	if (rte_mempool_populate_default(mp) < 0)
		goto fail;
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;
fail:
	{
		int error = rte_errno;
		rte_mempool_free(mp);
		rte_errno = error;
	}
	return NULL;
}

struct geometry_walk {
	uintptr_t first;
	uintptr_t previous;
	uint32_t stride;
	uint32_t count;
	int irregular;
};

static void walk_object(struct rte_mempool *pool, void *arg, void *object, unsigned index)
{
	struct geometry_walk *walk = arg;
	uintptr_t address = (uintptr_t)object;
	struct rte_mbuf *mbuf = object;
	(void)pool;
	if (index == 0) {
		walk->first = address;
	} else if (index == 1) {
		walk->stride = (uint32_t)(address - walk->previous);
	} else if (address - walk->previous != walk->stride) {
		walk->irregular = 1;
	}
	if ((uintptr_t)mbuf->buf_addr - address != sizeof(struct rte_mbuf) + rte_pktmbuf_priv_size(pool))
		walk->irregular = 1;
	walk->previous = address;
	walk->count++;
}

int flow_dpdk_pool_geometry(const struct rte_mempool *pool, struct flow_dpdk_pool_geometry *out)
{
	struct geometry_walk walk;
	struct rte_mempool *mp = (struct rte_mempool *)pool;

	memset(&walk, 0, sizeof(walk));
	rte_mempool_obj_iter(mp, walk_object, &walk);
	/* Flow indexes frames by (mbuf - first) / stride: the objects must be one evenly spaced
	 * run, which a pool populated from one memory chunk is. */
	if (walk.irregular || walk.count == 0 || (walk.count > 1 && walk.stride == 0))
		return -EINVAL;
	out->first_mbuf = walk.first;
	out->stride = walk.count > 1 ? walk.stride : (uint32_t)(mp->header_size + mp->elt_size + mp->trailer_size);
	out->count = walk.count;
	out->buf_offset = sizeof(struct rte_mbuf) + rte_pktmbuf_priv_size(mp);
	out->buf_len = rte_pktmbuf_data_room_size(mp);
	return 0;
}

void flow_dpdk_pool_free(struct rte_mempool *pool)
{
	rte_mempool_free(pool);
}

uint32_t flow_dpdk_pool_available(const struct rte_mempool *pool)
{
	return rte_mempool_avail_count(pool);
}

int flow_dpdk_alloc_bulk(struct rte_mempool *pool, struct rte_mbuf **mbufs, uint32_t count)
{
	return rte_pktmbuf_alloc_bulk(pool, mbufs, count);
}

void flow_dpdk_free_bulk(struct rte_mbuf **mbufs, uint32_t count)
{
	rte_pktmbuf_free_bulk(mbufs, count);
}

uint16_t flow_dpdk_rx(uint16_t port, uint16_t queue, struct rte_mbuf **mbufs, uint16_t count)
{
	return rte_eth_rx_burst(port, queue, mbufs, count);
}

uint16_t flow_dpdk_tx(uint16_t port, uint16_t queue, struct rte_mbuf **mbufs, uint16_t count)
{
	return rte_eth_tx_burst(port, queue, mbufs, count);
}

/* The device name is devargs up to the first comma: "net_memif0,role=client" names
 * "net_memif0", a PCI address names itself. */
static void device_name(const char *devargs, char *name, size_t size)
{
	size_t n = strcspn(devargs, ",");
	if (n >= size)
		n = size - 1;
	memcpy(name, devargs, n);
	name[n] = 0;
}

int flow_dpdk_port_probe(const char *devargs, uint16_t *port)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	int rc;

	device_name(devargs, name, sizeof(name));
	if (rte_eth_dev_get_port_by_name(name, port) == 0)
		return -EEXIST;
	rc = rte_dev_probe(devargs);
	if (rc < 0)
		return rc;
	if (rte_eth_dev_get_port_by_name(name, port) != 0)
		return -ENODEV;
	return 0;
}

int flow_dpdk_port_start(uint16_t port, const struct flow_dpdk_port_config *config,
		struct flow_dpdk_port_info *info)
{
	struct rte_eth_dev_info dev;
	struct rte_eth_conf conf;
	struct rte_ether_addr mac;
	uint16_t rxd = config->rx_descriptors, txd = config->tx_descriptors;
	int rc;

	memset(info, 0, sizeof(*info));
	rc = rte_eth_dev_info_get(port, &dev);
	if (rc != 0)
		return rc;
	snprintf(info->driver, sizeof(info->driver), "%s", dev.driver_name);
	info->max_rx_queues = dev.max_rx_queues;
	info->max_tx_queues = dev.max_tx_queues;
	if (config->rx_queues > dev.max_rx_queues || config->tx_queues > dev.max_tx_queues)
		return -EINVAL;

	memset(&conf, 0, sizeof(conf));
	/* Hash only what the device can; a device without RSS (ring, null, af_packet, which
	 * spreads with PACKET_FANOUT itself) runs with mq_mode none. */
	uint64_t rss = RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP;
	rss &= dev.flow_type_rss_offloads;
	if (config->rss && config->rx_queues > 1 && rss != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = rss;
		info->rss_hf = rss;
	}
	rc = rte_eth_dev_configure(port, config->rx_queues, config->tx_queues, &conf);
	if (rc != 0)
		return rc;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
	if (rc != 0)
		return rc;
	info->rx_descriptors = rxd;
	info->tx_descriptors = txd;
	if (config->mtu != 0) {
		rc = rte_eth_dev_set_mtu(port, config->mtu);
		if (rc != 0 && rc != -ENOTSUP)
			return rc;
	}
	int socket = rte_eth_dev_socket_id(port);
	for (uint16_t q = 0; q < config->rx_queues; q++) {
		rc = rte_eth_rx_queue_setup(port, q, rxd, socket, NULL, config->pool);
		if (rc != 0)
			return rc;
	}
	for (uint16_t q = 0; q < config->tx_queues; q++) {
		rc = rte_eth_tx_queue_setup(port, q, txd, socket, NULL);
		if (rc != 0)
			return rc;
	}
	rc = rte_eth_dev_start(port);
	if (rc != 0)
		return rc;
	if (config->promiscuous == 1)
		rte_eth_promiscuous_enable(port);
	else if (config->promiscuous == 0)
		rte_eth_promiscuous_disable(port);
	if (rte_eth_macaddr_get(port, &mac) == 0)
		memcpy(info->mac, mac.addr_bytes, 6);
	if (rte_eth_dev_get_mtu(port, &info->mtu) != 0)
		info->mtu = 0;
	return 0;
}

int flow_dpdk_port_close(uint16_t port)
{
	struct rte_eth_dev_info dev;
	struct rte_device *device = NULL;

	if (rte_eth_dev_info_get(port, &dev) == 0)
		device = dev.device;
	rte_eth_dev_stop(port);
	int rc = rte_eth_dev_close(port);
	/* Unplug the device too, so its name (net_ring0, a memif socket) can be probed again. */
	if (device != NULL) {
		int removed = rte_dev_remove(device);
		if (rc == 0)
			rc = removed;
	}
	return rc;
}

int flow_dpdk_port_link(uint16_t port, struct flow_dpdk_link *link)
{
	struct rte_eth_link l;
	memset(link, 0, sizeof(*link));
	int rc = rte_eth_link_get_nowait(port, &l);
	if (rc != 0)
		return rc;
	link->speed_mbps = l.link_speed;
	link->up = l.link_status;
	link->full_duplex = l.link_duplex;
	link->autoneg = l.link_autoneg;
	return 0;
}

int flow_dpdk_port_stats(uint16_t port, struct flow_dpdk_port_stats *stats)
{
	struct rte_eth_stats s;
	int rc = rte_eth_stats_get(port, &s);
	if (rc != 0)
		return rc;
	stats->ipackets = s.ipackets;
	stats->opackets = s.opackets;
	stats->ibytes = s.ibytes;
	stats->obytes = s.obytes;
	stats->imissed = s.imissed;
	stats->ierrors = s.ierrors;
	stats->oerrors = s.oerrors;
	stats->rx_nombuf = s.rx_nombuf;
	return 0;
}

/* Names and values of the port's extended stats; returns how many the port has (call again
 * with a larger count when that exceeds count) or a negative errno. */
int flow_dpdk_port_xstats(uint16_t port, char (*names)[64], uint64_t *values, uint32_t count)
{
	int total = rte_eth_xstats_get_names(port, NULL, 0);
	if (total < 0 || (uint32_t)total > count)
		return total;
	struct rte_eth_xstat_name name_buffer[total > 0 ? total : 1];
	struct rte_eth_xstat value_buffer[total > 0 ? total : 1];
	int n = rte_eth_xstats_get_names(port, name_buffer, (unsigned)total);
	if (n < 0)
		return n;
	int m = rte_eth_xstats_get(port, value_buffer, (unsigned)total);
	if (m < 0)
		return m;
	if (m < n)
		n = m;
	for (int i = 0; i < n; i++) {
		snprintf(names[i], 64, "%s", name_buffer[value_buffer[i].id].name);
		values[i] = value_buffer[i].value;
	}
	return n;
}
