/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgnat_abi.h - the one contract between the XDP program and userspace:
 * map keys and values, event records, counter indices, reason codes and
 * limits. It includes nothing: the includer provides __u8..__u64, __be16 and
 * __be32 (vmlinux.h in BPF, <linux/types.h> in userspace). Every struct has
 * explicit padding and a size assert, since both sides read the same bytes.
 *
 * Byte order: fields typed __be* are network order, everything else host
 * order. Times named *_ns are CLOCK_MONOTONIC unless the name says tai;
 * the packet path reads the tick-granular bpf_ktime_get_coarse_ns (a
 * precise read costs ~40 ns per packet on a VM's pvclock), which is why
 * expiries carry a second of slack (ct.h).
 */
#ifndef CGNAT_ABI_H
#define CGNAT_ABI_H

#define CGNAT_PIN_DIR "/sys/fs/bpf/cgnat"

#define CGNAT_MAX_BLOCKS 32	/* blocks a subscriber may hold, hard bound */
#define CGNAT_MAX_POOLS 16
/* Map cgnat_udp_timers: the UDP idle timer (ns) of a session by its remote
 * port, for the well-known ports 0..1023 only (RFC 4787 REQ-5a: shorter
 * timers per IANA application, DNS on 53); 0 = cgnat_cfg.udp_timeout_ns.
 */
#define CGNAT_UDP_TIMER_PORTS 1024
#define CGNAT_GRANT_DEPTH 4	/* pre-granted growth blocks per address */
/* Pre-granted first blocks per pool: slots for up to CGNAT_NEW_DEPTH,
 * of which the allocator keeps CGNAT_NEW_DEPTH_MIN stocked and more in a
 * large pool (one slot per CGNAT_NEW_PER_SLOT blocks of the pool): a
 * burst of new subscribers lasts that much longer between two refills.
 */
#define CGNAT_NEW_DEPTH 64
#define CGNAT_NEW_DEPTH_MIN 16
#define CGNAT_NEW_PER_SLOT 32
/* Map cgnat_grant_new: the pools' first-block slots, then one word per
 * pool, CGNAT_NEW_DRY + pool, that the allocator sets when it has no free
 * block left for that pool beyond what its slots hold. Slots found empty
 * with the word clear are a refill still on its way (drop_grant_wait,
 * silent), not an exhausted pool (drop_pool_empty, ICMP and event). Then
 * one word per pool, CGNAT_NEW_FILL + pool: how many of its slots, from
 * the first, the allocator keeps stocked (the data plane rings the bell
 * when it takes from the second half of those).
 */
#define CGNAT_NEW_DRY (CGNAT_MAX_POOLS * CGNAT_NEW_DEPTH)
#define CGNAT_NEW_FILL (CGNAT_NEW_DRY + CGNAT_MAX_POOLS)
#define CGNAT_GRANT_NEW_WORDS (CGNAT_NEW_FILL + CGNAT_MAX_POOLS)
/* The layout of builds before the deeper slots (16 a pool, the dry
 * words, no fill words): the loader moves pinned grants out of it.
 */
#define CGNAT_NEW_DEPTH_V0 16
#define CGNAT_GRANT_NEW_WORDS_V0 (CGNAT_MAX_POOLS * (CGNAT_NEW_DEPTH_V0 + 1))
#define CGNAT_PORT_WORDS 1024	/* 65536 ports / 64 bits */
#define CGNAT_MAX_BLOCK_WORDS 64 /* block_size <= 4096 */
/* Subscriber block slot values: block id + 1, or one of these. A slot
 * with the top bit set takes no new mappings.
 */
#define CGNAT_BLOCK_RESERVED 0xffffffffu /* being filled by the data plane */
#define CGNAT_BLOCK_RELEASING 0xfffffffeu /* being released by userspace */
#define CGNAT_BLOCK_DRAIN 0x80000000u	/* | id + 1: lifetime over, no new */

/* Protocol index into the per-address port bitmaps. */
enum cgnat_pidx {
	CGNAT_P_TCP = 0,
	CGNAT_P_UDP = 1,
	CGNAT_P_ICMP = 2,
	CGNAT_NPROTO = 3,
};

enum cgnat_filtering {
	CGNAT_FILTER_EIF = 0,	/* endpoint-independent */
	CGNAT_FILTER_ADF = 1,	/* address-dependent */
	CGNAT_FILTER_APDF = 2,	/* address-and-port-dependent */
};

/* Runtime configuration: map cgnat_cfg, key 0. Userspace may change the
 * tunables at any time; the geometry (port_lo, block_size, blocks_per_addr,
 * n_addrs) is fixed for the life of the pinned maps.
 */
struct cgnat_cfg {
	__u64 udp_timeout_ns;
	__u64 tcp_est_timeout_ns;
	__u64 tcp_trans_timeout_ns;
	__u64 icmp_timeout_ns;
	__u64 nh_ttl_ns;	/* safety lifetime of a cached next hop */
	__u64 evt_interval_ns;	/* min gap between repeated quota/pool events */
	__u32 filtering;	/* enum cgnat_filtering */
	__u32 hairpinning;	/* 0 = drop hairpin traffic */
	__u32 inbound_refresh;	/* inbound packets refresh sessions */
	__u32 parity;		/* keep source port parity (RFC 4787 REQ-4) */
	__u32 max_blocks;	/* <= CGNAT_MAX_BLOCKS */
	__u32 sess_per_sub;	/* 0 = unlimited */
	__be32 icmp_src;	/* source of generated ICMP (inside address) */
	__u8 unreach_type;	/* ICMP sent when no mapping can be made */
	__u8 unreach_code;	/* (RFC 6888 REQ-11: 3/1); type 0 = none */
	__u16 sess_events;	/* log.session_events: raise EVT_SESS_* */
	__u32 unreach_rate;	/* per second per CPU, 0 = never */
	__u32 port_lo;		/* first port of block 0, multiple of 64 */
	__u32 block_size;	/* multiple of 64, 64..4096 */
	__u32 blocks_per_addr;
	__u32 n_addrs;
	__be32 icmp_src_out;	/* source of ICMP sent to the internet */
	__u16 mss_clamp[2];	/* TCP MSS cap on SYNs through the inside
				 * [0] / outside [1] interface; 0 = none */
	__u32 syn_icmp_rate;	/* unsolicited SYNs held for a 3/3, per
				 * second per CPU; 0 = drop them silently */
};
_Static_assert(sizeof(struct cgnat_cfg) == 112, "cgnat_cfg layout");

/* The rate at which one subscriber may open new flows (map
 * cgnat_flow_limit, key 0; limits.new_flows_per_subscriber, RFC 6888
 * REQ-4c and 5b), as a generic cell rate: a flow is admitted when the
 * subscriber's theoretical arrival time (map cgnat_sub_flows) is no
 * later than now + tau_ns, and moves it on by interval_ns. interval_ns
 * 0: no limit. A map of its own: cgnat_cfg's layout is fixed with the
 * pins.
 */
struct cgnat_flow_limit {
	__u64 interval_ns;	/* 1e9 / rate */
	__u64 tau_ns;		/* (burst - 1) * interval_ns */
	__u32 rate;		/* flows a second, for the event */
	__u32 burst;
};
_Static_assert(sizeof(struct cgnat_flow_limit) == 24, "flow_limit layout");

/* Session key, always in the subscriber's view of the flow. For ICMP
 * queries int_port is the echo identifier and rem_port is 0. Kind PERMIT
 * marks the address-dependent filtering entry (rem_port 0) kept beside the
 * flows of one mapping and one remote address.
 */
enum cgnat_sess_kind {
	CGNAT_SK_FLOW = 0,
	CGNAT_SK_PERMIT = 1,
};

struct cgnat_sess_key {
	__be32 int_addr;
	__be32 rem_addr;
	__be16 int_port;
	__be16 rem_port;
	__u8 proto;		/* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP */
	__u8 kind;		/* enum cgnat_sess_kind */
	__u8 pad[2];
};
_Static_assert(sizeof(struct cgnat_sess_key) == 16, "sess_key layout");

/* A cached next hop (fwd.h): valid while 'gen' equals the low 16 bits of
 * the next-hop generation (map cgnat_nh_gen, key 0, a __u32 that
 * userspace bumps on every route, neighbour, link or address change) and
 * 'until' (ktime >> 20, ~1 ms units; now + cfg->nh_ttl_ns at the lookup)
 * has not passed.
 */
struct cgnat_nh {
	__u32 until;
	__u32 ifindex;
	__u8 dmac[6];
	__u8 smac[6];
	__u16 mtu;
	__u16 gen;
};
_Static_assert(sizeof(struct cgnat_nh) == 24, "nh layout");

enum cgnat_dir {
	CGNAT_DIR_OUT = 0,	/* subscriber -> internet */
	CGNAT_DIR_IN = 1,	/* internet -> subscriber */
};

/* TCP flags seen on a session (RFC 7857 section 2 state). */
#define CGNAT_TCP_SYN_OUT 0x01
#define CGNAT_TCP_SYN_IN 0x02
#define CGNAT_TCP_FIN_OUT 0x04
#define CGNAT_TCP_FIN_IN 0x08
#define CGNAT_TCP_RST 0x10

/* Session flags. */
#define CGNAT_SF_INBOUND 0x01	/* created by an inbound packet (EIF) */
#define CGNAT_SF_HAIRPIN 0x02	/* remote is another subscriber's mapping */
/* Made its mapping (the mapping's first session): when the sweep deletes
 * it, it looks at the mapping (CGNAT_EPOCH_SOLE). Not logged.
 */
#define CGNAT_SF_FIRST 0x04
#define CGNAT_SF_LOGGED (CGNAT_SF_INBOUND | CGNAT_SF_HAIRPIN)

struct cgnat_sess {
	__u64 expires_ns;
	__be32 ext_addr;
	__be16 ext_port;
	__u8 tcp_seen;		/* CGNAT_TCP_* */
	__u8 flags;		/* CGNAT_SF_* */
	struct cgnat_nh nh[2];	/* indexed by enum cgnat_dir */
};
_Static_assert(sizeof(struct cgnat_sess) == 64, "sess layout");

/* Reverse session (map cgnat_rsess): the established inbound path's
 * one lookup, keyed by the tuple an inbound packet arrives with (rsess.h).
 * A cache: losing an entry costs one packet the two-lookup path. Its
 * expires_ns is never later than its session's, and it is used only
 * while expires_ns > now, so it never outlives its session.
 */
struct cgnat_rsess_key {
	__be32 ext_addr;	/* the packet's destination (pool address) */
	__be32 rem_addr;	/* its source */
	__be16 ext_port;
	__be16 rem_port;
	__u8 proto;		/* IPPROTO_TCP, IPPROTO_UDP */
	__u8 pad[3];
};
_Static_assert(sizeof(struct cgnat_rsess_key) == 16, "rsess_key layout");

struct cgnat_rsess {
	__u64 expires_ns;	/* the session's when written, or earlier */
	__be32 int_addr;	/* the session's internal endpoint */
	__be16 int_port;
	__u8 tcp_seen;		/* the session's CGNAT_TCP_* when written */
	__u8 pad;
	struct cgnat_nh nh;	/* the session's inbound next hop */
};
_Static_assert(sizeof(struct cgnat_rsess) == 40, "rsess layout");

/* Endpoint-independent mapping, stored twice: dir OUT keyed by the internal
 * endpoint (value: external endpoint), dir IN keyed by the external endpoint
 * (value: internal endpoint).
 */
struct cgnat_map_key {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 dir;		/* enum cgnat_dir */
};
_Static_assert(sizeof(struct cgnat_map_key) == 8, "map_key layout");

/* A mapping lives while a session refers to it. The sweep marks every
 * mapping a live session refers to with its epoch; a packet that adds a
 * session to a mapping marks it too. An unmarked mapping is set DEAD with
 * compare-and-swap and deleted unless a mark arrived meanwhile; a packet
 * that finds it DEAD does not use it.
 *
 * expires_ns (OUT half) bounds the expiries of its sessions from above:
 * whoever writes a session expiry e first makes sure it is at least
 * CGNAT_MAP_BOUND(e), the end of e's bound slot, so a refresh inside one
 * slot needs no mapping lookup. Past it (and past a PCP lifetime) no
 * session of the mapping is live: the data plane treats the mapping as
 * absent before any sweep comes (cgnat_map_live). The slot's width is
 * carried by e itself (cgnat_exp_make): 2^(32 + (e & 7)) ns.
 * CGNAT_MAP_NO_BOUND: written by userspace without its sessions' times
 * (HA); only the sweep's marks end it.
 */
enum cgnat_map_state {
	CGNAT_MAP_LIVE = 0,
	CGNAT_MAP_DEAD = 1,
};
#define CGNAT_EPOCH_IN_USE 0xffffffffu	/* marked by a packet */
/* A mapping made with its first session and never given another (nor
 * held by PCP or written by HA): its first session is its only one, so
 * the sweep that deletes that session deletes the mapping with it, and
 * neither needs a mark nor a walk of the mappings to find it (issue 19:
 * most mappings carry one session). Any packet that adds a session
 * exchanges it for CGNAT_EPOCH_IN_USE (nat_map_use), the ordinary
 * regime. sole_tag names that first session's remote.
 */
#define CGNAT_EPOCH_SOLE 0xfffffffeu

/* Mapping flags, both halves. PCP: held by a PCP or NAT-PMP request
 * (daemon/pcp.c, RFC 6887): until pcp_until_s the sweep keeps it with or
 * without sessions; after that it is an ordinary mapping, kept while
 * sessions use it. PCP_IN (a MAP, not a PEER): while held, inbound
 * packets from any remote pass filtering (section 11.3).
 */
#define CGNAT_MAP_PCP 0x1
#define CGNAT_MAP_PCP_IN 0x2

struct cgnat_map {
	__be32 addr;
	__be16 port;
	__u16 flags;		/* CGNAT_MAP_* */
	__u32 sub_idx;
	__u32 state;		/* enum cgnat_map_state, OUT half only */
	__u32 epoch;		/* last sweep epoch that saw it in use */
	union {
		__u32 pcp_until_s;	/* CGNAT_MAP_PCP: lifetime end,
					 * seconds of CLOCK_MONOTONIC
					 * (bpf_ktime_get_ns) */
		__u32 sole_tag;	/* OUT half, epoch CGNAT_EPOCH_SOLE and
				 * no CGNAT_MAP_PCP: cgnat_sole_tag() of
				 * its first session's remote */
	};
	__u64 created_ns;
	__u64 expires_ns;	/* OUT half: bound of its sessions' expiries */
};

/* The inbound half of a mapping (map cgnat_map_in, keyed by the
 * external endpoint): what an inbound packet needs, written with the
 * outbound half (and its PCP flags and lifetime whenever PCP changes
 * the outbound half's). 16 bytes: the table holds one per mapping.
 */
struct cgnat_map_in {
	__be32 addr;		/* the internal endpoint */
	__be16 port;
	__u16 flags;		/* CGNAT_MAP_PCP*, as the outbound half's */
	__u32 sub_idx;
	__u32 pcp_until_s;	/* CGNAT_MAP_PCP: as the outbound half's */
};
_Static_assert(sizeof(struct cgnat_map_in) == 16, "map_in layout");

/* Bound slots. A session expiry's low 3 bits (nanoseconds nobody
 * reads) say how wide the slot of its mapping's bound is: 2^(32 + code)
 * ns, from 4.3 s (code 0) to 34 s (code 3), the widest no more than an
 * eighth of the session's timer. Each active session raises its
 * mapping's bound (a lookup of a cold mapping) once per slot, so the
 * width is the trade: at 1M active flows 4.3 s slots cost a quarter of
 * the packet path; 34 s slots keep a port (and the logged block end)
 * at most 34 s past a 300 s timer. Carried in the value, not chosen by
 * whoever reads it: the mapping was covered with the width the session
 * wrote, whatever the configuration says now.
 */
#define CGNAT_MAP_BOUND_SHIFT 32	/* the narrowest slot, ~4.3 s */
/* Bumped when pinned values change meaning at the same layout, or the
 * layout changes (map cgnat_state; pins of another version are refused
 * before the load). 1: the bound slot codes above (issue 19). 2: the
 * inbound halves of the mappings in a table of their own (cgnat_map_in).
 */
#define CGNAT_STATE_VERSION 2
#define CGNAT_EXP_CODE_MASK 7ull

static inline __u64 cgnat_map_bound(__u64 e)
{
	__u32 sh = CGNAT_MAP_BOUND_SHIFT + (__u32)(e & CGNAT_EXP_CODE_MASK);

	return ((e >> sh) + 1) << sh;
}
#define CGNAT_MAP_BOUND(e) cgnat_map_bound(e)
#define CGNAT_MAP_NO_BOUND (~0ull)

/* A session expiry of at least 'raw' for a session whose timer is
 * 'timeout_ns' (0: the narrowest slot), its slot code in the low bits:
 * the widest slot up to 2^35 ns that is at most an eighth of the timer.
 */
static inline __u64 cgnat_exp_make(__u64 raw, __u64 timeout_ns)
{
	__u64 code = 0;

	if (timeout_ns >= 8ull << (CGNAT_MAP_BOUND_SHIFT + 3))
		code = 3;
	else if (timeout_ns >= 8ull << (CGNAT_MAP_BOUND_SHIFT + 2))
		code = 2;
	else if (timeout_ns >= 8ull << (CGNAT_MAP_BOUND_SHIFT + 1))
		code = 1;
	return ((raw + CGNAT_EXP_CODE_MASK) & ~CGNAT_EXP_CODE_MASK) | code;
}

/* 1 while a half with these flags and PCP end holds a PCP lifetime at
 * time now_ns (both halves carry them).
 */
static inline int cgnat_pcp_held(__u16 flags, __u32 until_s, __u64 now_ns)
{
	return (flags & CGNAT_MAP_PCP) &&
	       (__u64)until_s * 1000000000ull > now_ns;
}

/* 1 while outbound half m holds a PCP lifetime at time now_ns. */
static inline int cgnat_map_pcp_live(const struct cgnat_map *m, __u64 now_ns)
{
	return cgnat_pcp_held(m->flags, m->pcp_until_s, now_ns);
}

/* 1 while inbound half m admits every remote (a live PCP MAP). */
static inline int cgnat_map_pcp_admits(const struct cgnat_map_in *m,
				       __u64 now_ns)
{
	return (m->flags & CGNAT_MAP_PCP_IN) &&
	       cgnat_pcp_held(m->flags, m->pcp_until_s, now_ns);
}

/* 1 while OUT half m may still translate at now_ns: a session may be live
 * on it, or a PCP lifetime holds it. Not a test of the sweep's state.
 */
static inline int cgnat_map_live(const struct cgnat_map *m, __u64 now_ns)
{
	return m->expires_ns > now_ns || cgnat_map_pcp_live(m, now_ns);
}

/* When OUT half m stops (or stopped) translating: its bound or its PCP
 * lifetime's end, the later.
 */
static inline __u64 cgnat_map_end(const struct cgnat_map *m)
{
	__u64 pcp = (m->flags & CGNAT_MAP_PCP) ?
			    (__u64)m->pcp_until_s * 1000000000ull : 0;

	return m->expires_ns > pcp ? m->expires_ns : pcp;
}
_Static_assert(sizeof(struct cgnat_map) == 40, "map layout");

/* The remote of a mapping's first session, folded into 32 bits: with the
 * external endpoint and the times (sweep.h) it tells that session from a
 * stale one of the same internal endpoint.
 */
static inline __u32 cgnat_sole_tag(__be32 rem_addr, __be16 rem_port)
{
	return (__u32)rem_addr ^ ((__u32)rem_port * 0x9e3779b1u);
}

/* A first session that ends sooner than this after its mapping was made
 * leaves the mapping to the walk: a stale session of an earlier mapping
 * of the same endpoint ended before this one was made (sweep.h).
 */
#define CGNAT_SOLE_MIN_NS 1000000000ull

/* Subscriber slot (array cgnat_subs, index from hash cgnat_sub_idx). A
 * block slot holds global block id + 1, 0 when empty, or
 * CGNAT_BLOCK_RESERVED while a CPU is claiming a block for it.
 */
struct cgnat_sub {
	__be32 addr;		/* 0 = slot unused */
	__u32 ext_idx;		/* external address index + 1, 0 = none yet */
	__u32 pool;
	__u32 sessions;		/* live sessions, atomic */
	__u64 evt_ns;		/* last quota event, rate limit */
	__u32 block[CGNAT_MAX_BLOCKS];
};
_Static_assert(sizeof(struct cgnat_sub) == 152, "sub layout");

/* External (pool) address, array cgnat_addrs indexed by address index. */
struct cgnat_addr {
	__be32 addr;
	__u32 pool;
};
_Static_assert(sizeof(struct cgnat_addr) == 8, "addr layout");

/* Per-block ownership, array cgnat_blocks indexed by global block id
 * (addr_idx * blocks_per_addr + n). The data plane sets owner and
 * assigned_tai_ns when it takes a granted block; the allocator clears them
 * on release. Reconciliation after a lost event reads the time from here.
 */
struct cgnat_block {
	__u32 owner;		/* subscriber index + 1, 0 = none */
	__be32 sub_addr;	/* kept after release, for the log */
	__u64 assigned_tai_ns;
	__u64 released_tai_ns;	/* set by the allocator at release */
	__u64 quarantine_until_ns; /* CLOCK_BOOTTIME, survives restarts */
	__u64 last_use_tai_ns;	/* latest end of a mapping of the block
				 * (its last session's timer, or when a
				 * sweep found it unused): whoever frees a
				 * port stamps it first; the release is
				 * logged at this time (pb_life.c) */
};
_Static_assert(sizeof(struct cgnat_block) == 40, "block layout");

/* Port bitmap of one (address, protocol): array cgnat_ports indexed by
 * addr_idx * CGNAT_NPROTO + pidx. Bit p set = port p mapped.
 */
struct cgnat_portmap {
	__u64 w[CGNAT_PORT_WORDS];
};

struct cgnat_sub_prefix {
	__u32 prefixlen;
	__be32 addr;
};

/* Deterministic pools (RFC 7422; bpf/det.h, allocator/det.h has the same
 * arithmetic). Array cgnat_det_pools is indexed by pool; pps 0 = a PBA
 * pool. Subscriber offset o (from cgnat_det_prefixes: base + address -
 * prefix address) gets external address cgnat_det_ext[ext_base + o / spa]
 * (an address index) and ports port_first + (o % spa) * pps, pps of them.
 * Static maps, written at every load.
 */
#define CGNAT_DET_MAX_EXT 65536	/* entries of cgnat_det_ext, all pools */
#define CGNAT_DET_MAX_WORDS 1008 /* (65536 - 1024) / 64: a whole address */

struct cgnat_det_pool {
	__u32 pps;		/* ports per subscriber, multiple of 64; 0 = PBA */
	__u32 spa;		/* subscribers per external address */
	__u32 port_first;	/* first port of the region, multiple of 64 */
	__u32 ext_base;		/* first entry of cgnat_det_ext */
	__u32 n_ext;		/* usable external addresses */
	__u32 overflow;		/* overflow blocks per subscriber, 0 = refuse */
	__u32 version;		/* layout version, as logged */
	__u32 hold_end;		/* userspace only: while a change's quarantine
				 * runs, the old region's end when it was
				 * larger; no block below it is granted */
};
_Static_assert(sizeof(struct cgnat_det_pool) == 32, "det_pool layout");

/* Value of cgnat_det_prefixes, keyed like cgnat_sub_prefixes. */
struct cgnat_det_prefix {
	__be32 addr;		/* the prefix's first address */
	__u32 base;		/* its offset in the pool's layout */
};
_Static_assert(sizeof(struct cgnat_det_prefix) == 8, "det_prefix layout");

/* Ring-buffer events. Rare by construction: per block or rate-limited. */
enum cgnat_evt_type {
	EVT_BLOCK_ASSIGNED = 1,	/* a subscriber took a granted block */
	EVT_QUOTA_BLOCKS = 2,	/* subscriber at max_blocks and full */
	EVT_QUOTA_SESSIONS = 3,	/* subscriber at sess_per_sub */
	EVT_POOL_EMPTY = 4,	/* no first block for a new subscriber */
	EVT_ADDR_EMPTY = 5,	/* no growth block on the sub's address */
	EVT_TABLE_FULL = 6,	/* value: enum cgnat_table */
	/* Per session, only with cfg sess_events; record cgnat_sess_event.
	 * Never rate-limited: each one is a log row.
	 */
	EVT_SESS_CREATE = 7,
	EVT_SESS_DELETE = 8,
	EVT_QUOTA_FLOWS = 9,	/* subscriber above its new-flow rate */
	/* Raised by the allocator in userspace, same record shape. */
	EVT_BLOCK_RELEASED = 16, /* value: enum cgnat_release_reason */
	EVT_BLOCK_INTERIM = 17,	/* a block still held after interim_log */
	EVT_POOL_HIGH = 18,	/* pool usage crossed thresholds.pool_high */
	EVT_POOL_LOW = 19,	/* pool usage fell below thresholds.pool_low */
	EVT_SUB_HIGH = 20,	/* subscriber reached subscriber_high */
};

enum cgnat_table {
	CGNAT_TBL_SESSIONS = 1,
	CGNAT_TBL_MAPPINGS = 2,
	CGNAT_TBL_SUBSCRIBERS = 3,
};

enum cgnat_release_reason {
	CGNAT_REL_IDLE = 1,	/* no mapping for blocks.idle_release */
	CGNAT_REL_LIFETIME = 2,	/* drained after blocks.lifetime */
	CGNAT_REL_ADMIN = 3,
};

/* Bytes of each CPU's event ring (maps.h cgnat_events): about 87k
 * events, so that a burst of new sessions with log.session_events is
 * held while the log's writer catches up (256 KiB before, 5.4k events).
 */
#define CGNAT_EVT_RING_BYTES (4096 * 1024)

struct cgnat_event {
	__u64 time_tai_ns;	/* bpf_ktime_get_tai_ns() at the event */
	__u32 type;		/* enum cgnat_evt_type */
	__be32 sub_addr;
	__be32 ext_addr;
	__u16 port_first;	/* host order */
	__u16 port_last;
	__u32 block;		/* global block id */
	__u32 pool;
	__u32 value;
	__u32 pad;
};
_Static_assert(sizeof(struct cgnat_event) == 40, "event layout");

/* Why a session ended (cgnat_sess_event.reason, delete only). */
enum cgnat_sess_end {
	CGNAT_SESS_END_EXPIRED = 1,	/* its timer ran out (the sweep) */
};

/* EVT_SESS_CREATE / EVT_SESS_DELETE record. Same size as cgnat_event and
 * the same first two fields, so one ring and one reader carry both; the
 * reader tells them apart by type. The tuple is the session key's
 * (subscriber view) plus the external endpoint it was translated to; for
 * ICMP queries the ports are the echo identifiers and rem_port is 0.
 */
struct cgnat_sess_event {
	__u64 time_tai_ns;	/* bpf_ktime_get_tai_ns() at create/delete */
	__u32 type;		/* EVT_SESS_CREATE, EVT_SESS_DELETE */
	__be32 int_addr;
	__be32 ext_addr;
	__be32 rem_addr;
	__be16 int_port;
	__be16 ext_port;
	__be16 rem_port;
	__u8 proto;
	__u8 flags;		/* CGNAT_SF_* of the session */
	__u32 reason;		/* enum cgnat_sess_end, 0 on create */
	__u32 pad;
};
_Static_assert(sizeof(struct cgnat_sess_event) == sizeof(struct cgnat_event),
	       "sess_event layout");

/* Fragments (frag.h). A datagram is known by what it arrived with. */
#define CGNAT_FRAG_TTL_NS (5ull * 1000000000) /* entry life after the first */
#define CGNAT_FRAG_HOLD_MS 2000	/* userspace hold of an early fragment */
#define CGNAT_FRAG_FRAME 1600	/* largest early fragment held (bytes) */

struct cgnat_frag_key {
	__be32 saddr;
	__be32 daddr;
	__be16 id;
	__u8 proto;
	__u8 dir;		/* enum cgnat_dir it arrived from */
};
_Static_assert(sizeof(struct cgnat_frag_key) == 12, "frag_key layout");

/* How the first fragment was translated: later fragments get the same
 * addresses and leave by the same next hop (ifindex 0: to the kernel).
 */
struct cgnat_frag {
	__u64 expires_ns;
	__be32 saddr;		/* after translation */
	__be32 daddr;
	struct cgnat_nh nh;
};
_Static_assert(sizeof(struct cgnat_frag) == 40, "frag layout");

/* Records of ring cgnat_frag_ring. HELD: a later fragment that came
 * before its first, whole frame attached, dropped by XDP; READY: the
 * first fragment of a datagram with held fragments was translated.
 */
enum cgnat_frag_rec_kind {
	CGNAT_FRAG_HELD = 1,
	CGNAT_FRAG_READY = 2,
};

struct cgnat_frag_rec {
	__u32 kind;
	__u32 ifindex;		/* it arrived on */
	struct cgnat_frag_key key;
	__u32 len;		/* frame bytes (HELD) */
	__u8 frame[];		/* CGNAT_FRAG_FRAME bytes reserved (HELD) */
};
_Static_assert(sizeof(struct cgnat_frag_rec) == 24, "frag_rec layout");

/* Records of ring cgnat_grant_bell: the data plane took a grant from the
 * second half of a pool's first-block slots or an address's growth slots,
 * or found them empty. It wakes cgnatd's refill thread; at most about one
 * record waits at a time (pba_ring_bell), so it is not a count.
 */
enum cgnat_bell_kind {
	CGNAT_BELL_NEW = 1,	/* idx: pool */
	CGNAT_BELL_ADDR = 2,	/* idx: address index */
};

struct cgnat_bell {
	__u32 kind;
	__u32 idx;
	__u64 mono_ns;		/* rung at, CLOCK_MONOTONIC */
};
_Static_assert(sizeof(struct cgnat_bell) == 16, "bell layout");

/* Unsolicited inbound SYNs (RFC 5382 REQ-4, RFC 6146 TCP_INCOMING_SYN),
 * map cgnat_syn_pending: XDP drops such a SYN and, when the config asks
 * for ICMP, holds a copy here (bpf/synpend.h); an outbound SYN of the same
 * connection (simultaneous open) deletes it; userspace takes what is
 * CGNAT_SYN_HOLD_NS old and answers ICMP 3/3 (daemon/synpend.c). Whoever
 * deletes an entry owns it, so a SYN is answered at most once and never
 * after its simultaneous open. CGNAT_SYN_HOLD_NS is the RFC's floor, not a
 * tunable.
 */
#define CGNAT_SYN_HOLD_NS (6ull * 1000000000)
#define CGNAT_SYN_PENDING_MAX 8192
#define CGNAT_SYN_QUOTE 80	/* SYN bytes kept: a 60-byte IP header
				 * and 20 of TCP, or 20 and a full TCP
				 * header with options */

struct cgnat_syn_key {
	__be32 ext_addr;	/* the SYN's destination (pool address) */
	__be32 rem_addr;	/* its source */
	__be16 ext_port;
	__be16 rem_port;
};
_Static_assert(sizeof(struct cgnat_syn_key) == 12, "syn_key layout");

struct cgnat_syn {
	__u64 time_ns;		/* bpf_ktime_get_ns() at the first SYN */
	__u16 len;		/* bytes of pkt: the SYN from its IP header */
	__u16 pad;
	__u32 pad2;
	__u8 pkt[CGNAT_SYN_QUOTE];
};
_Static_assert(sizeof(struct cgnat_syn) == 96, "syn layout");

/* A sweep's counts; its start (cgnat_sweep_begin, SEC("syscall")) takes
 * now_ns as input.
 */
struct cgnat_sweep_args {
	__u64 now_ns;		/* CLOCK_MONOTONIC, as bpf_ktime_get_ns */
	__u64 sessions_seen;
	__u64 sessions_expired;
	__u64 mappings_seen;
	__u64 mappings_expired;
	__u64 mappings_kept;	/* marked while being swept */
	__u64 mappings_sole;	/* of mappings_expired: with their only
				 * session (CGNAT_EPOCH_SOLE) */
	__u64 rsess_seen;
	__u64 rsess_deleted;	/* expired, or session gone or changed */
};

/* The sweep in progress, in the object's .bss (one per loaded object, one
 * sweep at a time): written by cgnat_sweep_begin, counted in by the judge
 * runs, read by userspace (bpf/sweep_run.c). Userspace counts *_seen.
 */
struct cgnat_sweep_state {
	__u64 now;		/* expiry is judged against this */
	__u64 start;		/* mappings born since are left alone */
	__u32 epoch;		/* this sweep's mark */
	__u32 pad;
	/* Entries of the sessions, mappings and reverse sessions at the
	 * start (the kernel's per-CPU counts); -1: this kernel has no
	 * bpf_map_sum_elem_count (before 6.6).
	 */
	__s64 entries[3];
	struct cgnat_sweep_args a;
};

#define CGNAT_SWEEP_CHUNK 1024	/* entries per batch read and judge run */

/* The sessions' due index (map cgnat_sess_due, sweep.h "due index"):
 * buckets of three slots, a bucket per hash of a session key, each slot
 * a key and the second (2^30 ns, rounded down) at or before which that
 * session's expiry lies, its due. cgnatd writes a slot for each record
 * of the due log (below: a session made, a timer shortened), in its
 * key's slot, else an empty one, else one whose due has passed; in none
 * when all three hold other sessions not yet due. The sweep raises a
 * due when it finds the session still live, and empties the slot when
 * the session is gone. Lossy, so the index only names candidates to the
 * judge, which decides on the session itself; the passes that read
 * every session (sweep_run.c) index those it left out. An empty slot
 * has int_addr 0 (a session's is a subscriber, never 0). A bucket is
 * one cache line. Only cgnatd's thread writes it (bpf/sweep_due.c, and
 * the judge it runs).
 */
#define CGNAT_DUE_WAYS 3
#define CGNAT_DUE_SHIFT 30	/* a due's unit: 2^30 ns */

struct cgnat_due_slot {
	struct cgnat_sess_key k;
	__u32 due;		/* expiry >> CGNAT_DUE_SHIFT, at most */
};

struct cgnat_due {
	struct cgnat_due_slot s[CGNAT_DUE_WAYS];
	__u32 pad;
};
_Static_assert(sizeof(struct cgnat_due) == 64, "due layout");

/* The due log (maps cgnat_due_log, cgnat_due_head; bpf/due.h): per CPU
 * a ring of CGNAT_DUE_LOG records the data plane appends to, a session
 * key and its expiry each, and a count of the records appended so far
 * (its own cache line). The data plane's write is sequential and stays
 * in its CPU's cache; the index's random one is cgnatd's (sweep_due.c),
 * which drains the rings every loop turn. A ring lapped before a drain
 * loses its oldest records: those sessions wait for a full read.
 */
#define CGNAT_DUE_LOG 65536	/* records a CPU (1.5 MiB); a power of two:
				 * cgnatd drains every 100 ms at least */

struct cgnat_due_rec {
	struct cgnat_sess_key k;
	__u64 expires_ns;
};
_Static_assert(sizeof(struct cgnat_due_rec) == 24, "due_rec layout");

struct cgnat_due_head {
	__u64 n;		/* records appended, ever */
	__u64 pad[7];
};
_Static_assert(sizeof(struct cgnat_due_head) == 64, "due_head layout");

/* Bucket of key 'k' in an index of 'n' buckets. */
static inline __u32 cgnat_due_bucket(const struct cgnat_sess_key *k,
				     __u32 n)
{
	__u64 a = ((__u64)k->int_addr << 32) | k->rem_addr;
	__u64 b = ((__u64)k->int_port << 48) | ((__u64)k->rem_port << 32) |
		  ((__u64)k->proto << 8) | k->kind;
	__u64 h = a;
	int i;

	/* splitmix64's finalizer on each word in turn: every key bit
	 * reaches every bit of the hash (the words' overlapping fields
	 * must not cancel, as an XOR of the two would let them).
	 */
	for (i = 0; i < 2; i++) {
		h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
		h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
		h ^= h >> 31;
		if (!i)
			h ^= b;
	}
	return n ? (__u32)(h % n) : 0;
}

static inline int cgnat_sess_key_eq(const struct cgnat_sess_key *a,
				    const struct cgnat_sess_key *b)
{
	return a->int_addr == b->int_addr && a->rem_addr == b->rem_addr &&
	       a->int_port == b->int_port && a->rem_port == b->rem_port &&
	       a->proto == b->proto && a->kind == b->kind;
}

/* What a cgnat_sweep_judge run does with its list (sweep.h). */
enum cgnat_sweep_op {
	CGNAT_SWEEP_EXPIRE = 1,	/* sessions the batch read saw expired */
	CGNAT_SWEEP_MARK,	/* mappings of sessions it saw live */
	CGNAT_SWEEP_MAPPING,	/* mappings it saw unmarked */
	CGNAT_SWEEP_RSESS,	/* reverse sessions, as read */
	CGNAT_SWEEP_DUE,	/* sessions the due index named */
};

/* cgnat_sweep_judge (SEC("syscall")) context. */
struct cgnat_sweep_chunk {
	__u32 op;		/* enum cgnat_sweep_op */
	__u32 n;		/* entries of cgnat_sweep_list, <= CHUNK */
};

struct cgnat_rsess_entry {
	struct cgnat_rsess_key k;
	struct cgnat_rsess v;
};
_Static_assert(sizeof(struct cgnat_rsess_entry) == 56, "rsess_entry layout");

/* One judge run's list, in the object's .bss: userspace writes it through
 * the skeleton's mapping, then runs cgnat_sweep_judge.
 */
struct cgnat_sweep_list {
	union {
		struct cgnat_sess_key sess[CGNAT_SWEEP_CHUNK];
		struct cgnat_map_key map[CGNAT_SWEEP_CHUNK];
		struct cgnat_rsess_entry rsess[CGNAT_SWEEP_CHUNK];
	};
};

/* Negative reason codes returned by helpers; the entry point turns them
 * into a verdict and a per-CPU counter STAT_DROP_BASE + reason.
 */
enum cgnat_reason {
	REASON_MALFORMED = 1,	/* truncated, bad IHL/length/checksum */
	REASON_FRAGMENT,	/* fragment of no known or holdable datagram */
	REASON_ICMP_ERROR,	/* ICMP error (not yet translated) */
	REASON_PROTO,		/* transport we cannot translate */
	REASON_SPOOF,		/* inside source outside subscriber prefixes */
	REASON_UNSOLICITED,	/* to a pool address without mapping */
	REASON_FILTERED,	/* mapping exists, filtering denies */
	REASON_TCP_NO_SYN,	/* new TCP flow not starting with SYN */
	REASON_QUOTA,		/* subscriber at max_blocks, blocks full */
	REASON_SESS_LIMIT,	/* subscriber at sess_per_sub */
	REASON_POOL_EMPTY,	/* no granted block available */
	REASON_TABLE_FULL,	/* session/mapping/subscriber table full */
	REASON_NO_ROUTE,	/* FIB says unreachable/blackhole */
	REASON_FRAG_NEEDED,	/* DF set, larger than egress MTU */
	REASON_TTL,		/* TTL expired, time exceeded not sent */
	REASON_HAIRPIN_OFF,	/* hairpinning disabled */
	REASON_CONFLICT,	/* allocator/data plane disagreement */
	REASON_PORT_ZERO,	/* source or destination port 0 */
	REASON_MAP_DYING,	/* mapping being swept: next packet remaps */
	REASON_GRANT_WAIT,	/* first-block slots empty, refill under way */
	REASON_FLOW_RATE,	/* subscriber above its new-flow rate */
	REASON_MAX,
};

enum cgnat_stat {
	STAT_RX_INSIDE = 0,
	STAT_RX_OUTSIDE,
	STAT_XLATE_OUT,		/* translated subscriber -> internet */
	STAT_XLATE_IN,		/* translated internet -> subscriber */
	STAT_HAIRPIN,		/* translated subscriber -> subscriber */
	STAT_PASS_NON_IP,	/* ARP, IPv6, ... to the kernel */
	STAT_PASS_LOCAL,	/* for the box itself */
	STAT_PASS_NOT_NAT,	/* outside traffic not for a pool address,
				 * or too short to tell */
	STAT_PASS_NEIGH,	/* translated, next hop unresolved: kernel */
	STAT_TTL_EXPIRED,	/* TTL expiring here: time exceeded sent */
	STAT_NEW_SESSION,
	STAT_NEW_MAPPING,
	STAT_NEW_SUBSCRIBER,
	STAT_BLOCK_TAKEN,
	STAT_FIB_LOOKUP,
	STAT_EVT_LOST,		/* ring buffer full: reconcile */
	STAT_GRANT_LOST,	/* grant taken but unusable, not returned */
	STAT_ICMP_SENT,		/* generated ICMP errors */
	STAT_ICMP_LIMITED,	/* ICMP errors suppressed by the rate limit */
	STAT_RELEASE_RACE,	/* port taken from a block being released */
	STAT_ICMP_XLATE,	/* ICMP errors translated */
	STAT_PTB,		/* DF set and too big: 3/4 with the MTU */
	STAT_PASS_FRAGMENT,	/* translated, too big, DF clear: kernel
				 * fragments it */
	STAT_FRAG_FIRST,	/* first fragments translated (entry made) */
	STAT_FRAG_FOLLOW,	/* later fragments translated by the table */
	STAT_FRAG_HELD,		/* early fragments handed to the holder */
	STAT_FRAG_HOLD_FULL,	/* early fragments dropped: holder full */
	/* Written by the userspace holder (CPU 0 slot), not by XDP: */
	STAT_FRAG_REINJECTED,	/* held fragments run again after their first */
	STAT_FRAG_EXPIRED,	/* held fragments whose first never came */
	STAT_FRAG_REFUSED,	/* early fragments over the holder's bounds */
	STAT_XLATE_IN_FAST,	/* of xlate_in: by the reverse session alone */
	STAT_SYN_PENDING,	/* unsolicited SYNs held for a 3/3 */
	STAT_SYN_PENDING_FULL,	/* not held: cgnat_syn_pending full */
	STAT_SYN_LIMITED,	/* not held: over syn_icmp_rate */
	STAT_SYN_SIMOPEN,	/* held SYNs an outbound SYN cleared */
	/* Written by userspace (CPU 0 slot), not by XDP: */
	STAT_SYN_ICMP_SENT,	/* 3/3 sent for held SYNs */
	STAT_SYN_ICMP_DROPPED,	/* held SYNs not answered: setting now
				 * drop, too old, or the send failed */
	STAT_MAP_RECLAIMED,	/* expired mappings a new flow reclaimed
				 * before the sweep (blocks looked full,
				 * or its own endpoint's) */
	STAT_SESS_REPLACED,	/* expired sessions a new flow replaced */
	STAT_EVT_SESS_LOST,	/* of STAT_EVT_LOST, session events: no
				 * table has them, unlike block events */
	/* Written by userspace (daemon/evorder.c): */
	STAT_EVT_PARKED,	/* session events held for their block's */
	STAT_EVT_PARKED_FORCED,	/* of those, delivered without it */
	STAT_GRANT_NEW_EMPTY,	/* a new subscriber found its pool's
				 * first-block slots empty */
	STAT_GRANT_ADDR_EMPTY,	/* a growing subscriber found its
				 * address's growth slots empty */
	STAT_GRANT_BELL,	/* doorbells rung for the refill thread */
	/* Written by the userspace holder (CPU 0 slot), not by XDP: */
	STAT_FRAG_COPIED,	/* of reinjected: sent by the copy path
				 * (daemon/fraghold.h) */
	STAT_FRAG_REINJECT_FAILED, /* held fragments whose first came but
				    * that could not be run or sent */
	STAT_RECLAIM_IDLE,	/* reclaim scans skipped: the subscriber's
				 * last one found nothing (pba_reclaim) */
	STAT_QUOTA_HELD,	/* refused at the quota without a look at
				 * the held blocks (nat_pba_alloc) */
	STAT_DROP_BASE,
	STAT_MAX = STAT_DROP_BASE + REASON_MAX,
};

#endif /* CGNAT_ABI_H */
