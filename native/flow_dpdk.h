/*
 * flow_dpdk: the C side of Flow's DPDK backend (src/Flow.Backends.Dpdk).
 *
 * Why C at all: rx/tx burst, mbuf alloc/free, rte_errno and rte_lcore_id are static inline
 * in DPDK's headers (or read DPDK's thread-locals), so a managed caller cannot reach them; and
 * rte_eth_conf / rte_eth_dev_info are large structures that change between releases, so port
 * setup stays here instead of being mirrored in C# (research/router-and-dpdk.md section 3.5).
 *
 * The ABI is flat: integers, pointers and small structs of fixed-width fields. Every exported
 * name starts with flow_dpdk_. FLOW_DPDK_ABI_VERSION changes whenever a struct below changes;
 * the C# side refuses a library of another version.
 */
#ifndef FLOW_DPDK_H
#define FLOW_DPDK_H

#include <stdint.h>

#define FLOW_DPDK_ABI_VERSION 1

struct rte_mbuf;
struct rte_mempool;

/* The mbuf layout this library was compiled against; C# reads mbuf fields at these offsets. */
struct flow_dpdk_layout {
	uint32_t abi_version;
	uint32_t mbuf_size;
	uint32_t off_buf_addr;
	uint32_t off_data_off;
	uint32_t off_refcnt;
	uint32_t off_nb_segs;
	uint32_t off_port;
	uint32_t off_ol_flags;
	uint32_t off_pkt_len;
	uint32_t off_data_len;
	uint32_t off_vlan_tci;
	uint32_t off_hash;
	uint32_t off_buf_len;
	uint32_t off_pool;
	uint32_t off_next;
	uint32_t headroom;
	uint32_t max_lcore;
	uint32_t reserved;
	uint64_t rx_rss_hash_flag;
	uint64_t rx_vlan_stripped_flag;
};

/* Where the mbufs of a pool are: object i's mbuf at first_mbuf + i * stride. */
struct flow_dpdk_pool_geometry {
	uint64_t first_mbuf;
	uint32_t stride;
	uint32_t count;
	uint32_t buf_offset; /* buf_addr - mbuf */
	uint32_t buf_len;
};

struct flow_dpdk_port_config {
	uint16_t rx_queues;
	uint16_t tx_queues;
	uint16_t rx_descriptors;
	uint16_t tx_descriptors;
	uint16_t mtu;          /* 0: leave the driver's */
	int8_t promiscuous;    /* -1: leave, 0: off, 1: on */
	uint8_t rss;           /* spread flows over the rx queues when the device can */
	uint32_t reserved;
	struct rte_mempool *pool;
};

struct flow_dpdk_port_info {
	uint8_t mac[6];
	uint16_t rx_descriptors; /* after the driver's adjustment */
	uint16_t tx_descriptors;
	uint16_t max_rx_queues;
	uint16_t max_tx_queues;
	uint16_t mtu;
	uint64_t rss_hf;          /* hash functions in use; 0 without RSS */
	char driver[32];
};

struct flow_dpdk_link {
	uint32_t speed_mbps;
	uint8_t up;
	uint8_t full_duplex;
	uint8_t autoneg;
	uint8_t reserved;
};

struct flow_dpdk_port_stats {
	uint64_t ipackets;
	uint64_t opackets;
	uint64_t ibytes;
	uint64_t obytes;
	uint64_t imissed;
	uint64_t ierrors;
	uint64_t oerrors;
	uint64_t rx_nombuf;
};

void flow_dpdk_get_layout(struct flow_dpdk_layout *out);
const char *flow_dpdk_version(void);

/* EAL. init runs rte_eal_init on a thread of its own (so the caller's CPU affinity and
 * DPDK thread identity stay as they were) and returns 0 or -rte_errno. Unless argv names
 * the lcores (-l, -c, --lcores), lcore 0 is mapped to every CPU the process may use. */
int flow_dpdk_init(int argc, const char *const *argv);
int flow_dpdk_cleanup(void);
const char *flow_dpdk_runtime_dir(void);
int flow_dpdk_thread_register(void);
void flow_dpdk_thread_unregister(void);
unsigned flow_dpdk_lcore_id(void);
int flow_dpdk_errno(void);
const char *flow_dpdk_strerror(int error);

/* Pools. */
struct rte_mempool *flow_dpdk_pool_create(const char *name, uint32_t count, uint32_t cache,
		uint16_t data_room, int socket);
int flow_dpdk_pool_geometry(const struct rte_mempool *pool, struct flow_dpdk_pool_geometry *out);
void flow_dpdk_pool_free(struct rte_mempool *pool);
uint32_t flow_dpdk_pool_available(const struct rte_mempool *pool);
int flow_dpdk_alloc_bulk(struct rte_mempool *pool, struct rte_mbuf **mbufs, uint32_t count);
void flow_dpdk_free_bulk(struct rte_mbuf **mbufs, uint32_t count);

/* Data path. */
uint16_t flow_dpdk_rx(uint16_t port, uint16_t queue, struct rte_mbuf **mbufs, uint16_t count);
uint16_t flow_dpdk_tx(uint16_t port, uint16_t queue, struct rte_mbuf **mbufs, uint16_t count);

/* Ports. */
int flow_dpdk_port_probe(const char *devargs, uint16_t *port);
int flow_dpdk_port_start(uint16_t port, const struct flow_dpdk_port_config *config,
		struct flow_dpdk_port_info *info);
int flow_dpdk_port_close(uint16_t port);
int flow_dpdk_port_link(uint16_t port, struct flow_dpdk_link *link);
int flow_dpdk_port_stats(uint16_t port, struct flow_dpdk_port_stats *stats);
int flow_dpdk_port_xstats(uint16_t port, char (*names)[64], uint64_t *values, uint32_t count);

#endif
