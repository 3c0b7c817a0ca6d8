/* SPDX-License-Identifier: GPL-2.0 */
/*
 * live_common.h - what the live bench's generator (gen.bpf.c), sink
 * (sink.bpf.c) and driver (bench_live.c) share: the flow layout (flow
 * index -> subscriber endpoint), the marker every bench frame carries in
 * its payload, and the sink's configuration, counters and the table of
 * external endpoints it learns. Includes nothing: the includer provides
 * __u8..__u64 and __be16/__be32.
 *
 * Frames are 60 bytes, IPv4 without options: Ethernet 14, IPv4 20, then
 * UDP 8 + 18 payload or TCP 20 + 6 payload. The payload starts with the
 * marker: magic (2 bytes) and the flow index (4 bytes, network order).
 */
#ifndef CGNAT_LIVE_COMMON_H
#define CGNAT_LIVE_COMMON_H

/* Flow i comes from subscriber LB_SUB_BASE + i / LB_PORTS_PER_SUB, port
 * LB_PORT_BASE + i % LB_PORTS_PER_SUB, and goes to LB_SERVER:7. Host order.
 */
#define LB_SUB_BASE 0x64410001u /* 100.65.0.1 */
#define LB_PORTS_PER_SUB 1000
#define LB_PORT_BASE 10000
#define LB_SERVER 0xc633640au /* 198.51.100.10 */
#define LB_SERVER_PORT 7
#define LB_POOL_NET 0xcb007100u /* 203.0.113.0/24 */
#define LB_POOL_MASK 0xffffff00u
#define LB_MAGIC 0xc9a7

#define LB_FRAME_LEN 60
#define LB_IP_OFF 14
#define LB_L4_OFF 34
#define LB_UDP_PAY_OFF 42
#define LB_TCP_PAY_OFF 54
#define LB_EXT_MAX (1u << 22) /* flow indices the sink can learn */

/* What the sink checks on each marked frame (counter LB_C_OK). */
enum lb_expect {
	LB_EXPECT_NONE = 0,
	LB_EXPECT_POOL = 1, /* source translated into the pool */
	LB_EXPECT_SRC = 2, /* source is the flow's own (no NAT) */
	LB_EXPECT_DST = 3, /* destination translated back to the flow's */
};

/* Sink configuration: array map lb_cfg, key 0. */
struct lb_sink_cfg {
	__u32 expect; /* enum lb_expect */
	__u32 learn; /* generation to record in lb_ext, 0 = off */
};

/* Per-CPU counters of a sink: map lb_cnt. */
enum lb_counter {
	LB_C_RX = 0, /* marked frames */
	LB_C_OK, /* marked frames as expected */
	LB_C_LEARNED, /* flows first seen in this generation */
	LB_C_CSUM_BAD, /* learning only: IP or L4 checksum wrong */
	LB_C_MAX,
};

/* The source endpoint a sink saw for a flow: array map lb_ext. */
struct lb_ext {
	__be32 addr;
	__be16 port;
	__u16 gen; /* lb_sink_cfg.learn when recorded */
};

#endif /* CGNAT_LIVE_COMMON_H */
