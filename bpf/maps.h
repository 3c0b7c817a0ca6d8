/* SPDX-License-Identifier: GPL-2.0 */
/*
 * maps.h - the maps of the XDP program. Sizes here are placeholders: the
 * loader sets every max_entries from the configuration before load. All
 * tables are plain hashes with explicit expiry, never LRU: an entry that
 * vanished without a record would break the compliance log.
 */
#ifndef CGNAT_MAPS_H
#define CGNAT_MAPS_H

#include "cgnat_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cgnat_cfg);
} cgnat_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct cgnat_sess_key);
	__type(value, struct cgnat_sess);
} cgnat_sessions SEC(".maps");

/* External tuple -> internal endpoint of a live session (rsess.h). Sized
 * like cgnat_sessions. A cache, so the loader starts it empty on every
 * load.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct cgnat_rsess_key);
	__type(value, struct cgnat_rsess);
} cgnat_rsess SEC(".maps");

/* The sessions' due index (cgnat_abi.h struct cgnat_due): due_buckets
 * buckets of three slots, two slots a session of the table's size, set
 * by the loader; and the due log the data plane appends to (bpf/due.h),
 * CGNAT_DUE_LOG records and a head per possible CPU. Caches, so the
 * loader starts them empty on every load; cgnatd reads and writes them
 * through their mmap (bpf/sweep_due.c).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct cgnat_due);
} cgnat_sess_due SEC(".maps");

const volatile __u32 due_buckets = 1;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct cgnat_due_rec);
} cgnat_due_log SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cgnat_due_head);
} cgnat_due_head SEC(".maps");

/* The two halves of each mapping, in tables of their own (sized like
 * cgnat_sessions): the outbound half, keyed by the internal endpoint
 * (dir CGNAT_DIR_OUT), holds the mapping's state, epoch and bound; the
 * inbound half, keyed by the external endpoint (dir CGNAT_DIR_IN), is
 * the inbound path's index. Apart, the sweep's walk reads only the
 * outbound halves it judges (issue 19).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct cgnat_map_key);
	__type(value, struct cgnat_map);
} cgnat_mappings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct cgnat_map_key);
	__type(value, struct cgnat_map_in);
} cgnat_map_in SEC(".maps");

/* Subscriber address -> index into cgnat_subs. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __be32);
	__type(value, __u32);
} cgnat_sub_idx SEC(".maps");

/* Mmapable so that the allocator can change block slots atomically. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct cgnat_sub);
} cgnat_subs SEC(".maps");

/* Free subscriber indices, filled by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 1024);
	__type(value, __u32);
} cgnat_sub_free SEC(".maps");

/* Per subscriber and protocol (sub_idx * CGNAT_NPROTO + pidx): no
 * reclaim scan before this time (ns, the data plane's clock), set when
 * one found nothing (pba_reclaim). A cache, made afresh at every load.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} cgnat_reclaim_idle SEC(".maps");

/* Per subscriber and protocol (sub_idx * CGNAT_NPROTO + pidx): new
 * flows are refused at the quota without a look at the held blocks
 * before this time (ns, the data plane's clock), set when a look found
 * them full and no block could be added (nat_pba_alloc). A cache, made
 * afresh at every load.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} cgnat_quota_hold SEC(".maps");

/* limits.new_flows_per_subscriber (struct cgnat_flow_limit), key 0:
 * userspace writes it at load and on reload.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cgnat_flow_limit);
} cgnat_flow_limit SEC(".maps");

/* Per subscriber index: its theoretical arrival time for the new-flow
 * rate (ns, the data plane's clock; nat_sub_flow_ok). A cache, made
 * afresh at every load: each bucket starts full.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} cgnat_sub_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct cgnat_sub_prefix);
	__type(value, __u32);	/* pool index */
} cgnat_sub_prefixes SEC(".maps");

/* Deterministic pools (cgnat_abi.h): rebuilt at every load. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CGNAT_MAX_POOLS);
	__type(key, __u32);
	__type(value, struct cgnat_det_pool);
} cgnat_det_pools SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct cgnat_sub_prefix);
	__type(value, struct cgnat_det_prefix);
} cgnat_det_prefixes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);	/* address index */
} cgnat_det_ext SEC(".maps");

/* Subscribers a layout change moved -> end of their quarantine (ns,
 * CLOCK_MONOTONIC): until then their range takes no new mapping, so no
 * port passes between two subscribers closer in time than that.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __be32);
	__type(value, __u64);
} cgnat_det_frozen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct cgnat_addr);
} cgnat_addrs SEC(".maps");

/* External address -> address index: recognises pool addresses. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __be32);
	__type(value, __u32);
} cgnat_addr_idx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16 * CGNAT_NPROTO);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct cgnat_portmap);
} cgnat_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct cgnat_block);
} cgnat_blocks SEC(".maps");

/* Grant slots: block id + 1, 0 = empty. The allocator fills empty slots
 * with compare-and-swap; the data plane empties them with exchange, so a
 * block is taken by exactly one CPU without any lock. 64-bit because an
 * array map strides its elements at 8 bytes, which the mmap view sees.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16 * CGNAT_GRANT_DEPTH);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} cgnat_grant_addr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CGNAT_GRANT_NEW_WORDS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} cgnat_grant_new SEC(".maps");

/* Per pool address, the twin of the pools' dry words for growth blocks:
 * 1 when the allocator has no free block left there beyond what the
 * address's growth slots hold. Growth slots found empty with the word
 * clear are a refill on its way (drop_grant_wait, silent), not an
 * address out of ports (drop_pool_empty, ICMP and event). Sized to the
 * addresses at load; a map of its own, so pins of builds before it are
 * reused (it is made, and the allocator writes it before the attach).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} cgnat_addr_dry SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} cgnat_tx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} cgnat_stats SEC(".maps");

/* Events (events.h): one ring per CPU, so that cores making sessions
 * never share a ring's lock. The loader sizes the array to the possible
 * CPUs and puts a ring in each slot; userspace restores the order that
 * matters across rings (daemon/evorder.c).
 */
struct cgnat_evt_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, CGNAT_EVT_RING_BYTES);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);	/* the loader: one per possible CPU */
	__type(key, __u32);
	__array(values, struct cgnat_evt_ring);
} cgnat_events SEC(".maps");

/* Last time of a rate-limited event per CPU and per event type. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} cgnat_evt_last SEC(".maps");

/* What the pinned tables mean (key 0): the CGNAT_STATE_VERSION of the
 * build that made them. libbpf refuses pins of another layout; this
 * refuses pins whose layout is the same but whose values mean something
 * else (loader.c: a cold start).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgnat_state SEC(".maps");

/* The sweep's epoch (key 0), see struct cgnat_map. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgnat_epoch SEC(".maps");

/* The next-hop generation (key 0), see struct cgnat_nh. Written only by
 * userspace (dprun), read by every forwarded packet. Its own map rather
 * than a field of cgnat_cfg: a reload rewrites the whole config value,
 * which would set the counter back and revive next hops cached under an
 * older value.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgnat_nh_gen SEC(".maps");

/* Per-port UDP timers (cgnat_abi.h CGNAT_UDP_TIMER_PORTS); userspace
 * writes all of them at load and on reload.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CGNAT_UDP_TIMER_PORTS);
	__type(key, __u32);
	__type(value, __u64);
} cgnat_udp_timers SEC(".maps");

/* Per-CPU scratch for one packet's new flow: inside() leaves the key
 * and its FIB answer for inside_alloc(), nat_sess_create() builds the
 * session value here instead of on the stack.
 */
struct cgnat_scratch {
	struct cgnat_sess sess;
	struct cgnat_nh seed;	/* ifindex 0: none */
	struct cgnat_sess_key key;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cgnat_scratch);
} cgnat_scratch SEC(".maps");

static __always_inline struct cgnat_scratch *nat_scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cgnat_scratch, &zero);
}

/* Token buckets per CPU (enum rl_bucket), for what must not flood. */
enum rl_bucket {
	RL_UNREACH = 0,		/* 3/1 for refused flows, cfg->unreach_rate */
	RL_ICMP = 1,		/* 3/4 and 11/0 */
	RL_FRAG_HOLD = 2,	/* early fragments copied to userspace */
	RL_SYN = 3,		/* unsolicited SYNs held, syn_icmp_rate */
	RL_MAX,
};

struct rl_bucket_val {
	__u64 last_ns;
	__u64 tokens;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RL_MAX);
	__type(key, __u32);
	__type(value, struct rl_bucket_val);
} cgnat_rl SEC(".maps");

/* Fragments (frag.h): translations of first fragments, LRU because an
 * entry lives seconds and carries nothing the log needs; datagrams with
 * fragments held in userspace; the ring that carries those fragments
 * there, apart from the event ring so a flood never costs an event.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct cgnat_frag_key);
	__type(value, struct cgnat_frag);
} cgnat_frags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct cgnat_frag_key);
	__type(value, __u32);
} cgnat_frag_waiting SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} cgnat_frag_ring SEC(".maps");

/* Unsolicited SYNs awaiting their 3/3 (cgnat_abi.h, synpend.h). A plain
 * hash: when full, a new SYN is not held and is counted, while the held
 * ones still get their answer (an LRU would evict entries just before
 * they are due, and under a steady flood answer none). Bounded by the
 * size, not by what the internet sends.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CGNAT_SYN_PENDING_MAX);
	__type(key, struct cgnat_syn_key);
	__type(value, struct cgnat_syn);
} cgnat_syn_pending SEC(".maps");

/* Doorbell of cgnatd's refill thread (struct cgnat_bell, pba.h): small,
 * since at most about one record waits at a time.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} cgnat_grant_bell SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&cgnat_stats, &idx);

	if (v)
		*v += 1;
}

/* Takes a token from bucket 'key' refilled at 'rate' per second (0 =
 * never). Returns 1 when allowed.
 */
static __always_inline int rl_take(__u32 key, __u64 rate, __u64 now)
{
	struct rl_bucket_val *b = bpf_map_lookup_elem(&cgnat_rl, &key);
	__u64 add;

	if (!b || !rate)
		return 0;
	add = (now - b->last_ns) * rate / 1000000000ull;
	if (add) {
		b->tokens += add;
		if (b->tokens > rate)
			b->tokens = rate;
		b->last_ns = now;
	}
	if (!b->tokens)
		return 0;
	b->tokens--;
	return 1;
}

/* The current next-hop generation (0 before userspace set one). */
static __always_inline __u32 nh_gen_get(void)
{
	__u32 zero = 0, *g = bpf_map_lookup_elem(&cgnat_nh_gen, &zero);

	return g ? *g : 0;
}

static __always_inline struct cgnat_cfg *cfg_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cgnat_cfg, &zero);
}

#endif /* CGNAT_MAPS_H */
