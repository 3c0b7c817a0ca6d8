/* SPDX-License-Identifier: GPL-2.0 */
/*
 * loader.h - the data plane's userspace side: open the XDP object, size
 * its maps from the configuration, reuse maps pinned by an earlier run,
 * load, fill the static maps, attach to the inside and outside interfaces
 * through pinned bpf_links, and detach. cgnatd, the tests and the bench
 * all go through this API.
 *
 * Functions return 0 or -errno and log nothing: the message for the
 * operator is left in dp->err.
 */
#ifndef CGNAT_LOADER_H
#define CGNAT_LOADER_H

#include <linux/types.h>
#include <stddef.h>
#include <bpf/libbpf.h>
#include "bpf/cgnat_abi.h"

struct cgnat_bpf;

struct dp_prefix {
	__be32 addr;
	__u8 len;
	__u32 pool;
};

struct dp_opts {
	const char *inside;	/* interface names; NULL: load only */
	const char *outside;
	int xdp_generic;	/* skb mode instead of native */
	const char *pin_dir;	/* NULL: no pinning (tests) */
	__u32 sessions;		/* session table size */
	__u32 subscribers;	/* subscriber table size */
	__u32 n_addrs;		/* external pool addresses */
	const __be32 *addrs;
	const __u32 *addr_pool;	/* pool index of each address */
	__u32 n_prefixes;	/* subscriber prefixes -> pool */
	const struct dp_prefix *prefixes;
	struct cgnat_cfg cfg;	/* geometry and tunables */
	/* CGNAT_UDP_TIMER_PORTS UDP timers by remote port, ns, 0 = none;
	 * NULL: none at all.
	 */
	const __u64 *udp_timers;
	struct cgnat_flow_limit flow_limit;	/* interval 0: no limit */
	/* Deterministic pools (cgnat_abi.h), by pool index; pps 0 = PBA. */
	struct cgnat_det_pool det_pools[CGNAT_MAX_POOLS];
	__u32 n_det_prefixes;	/* subscriber prefixes of those pools */
	const struct dp_prefix *det_prefixes;	/* .pool: the base offset */
	__u32 n_det_ext;	/* cgnat_det_ext: address index per entry */
	const __u32 *det_ext;
	/* Subscribers a layout change moved (network order): no port of
	 * their deterministic range before det_frozen_until_ns
	 * (CLOCK_MONOTONIC), the quarantine.
	 */
	__u32 n_det_frozen;
	const __be32 *det_frozen;
	__u64 det_frozen_until_ns;
};

/* Shared views of the mmapable maps (atomics only). */
struct dp_views {
	struct cgnat_sub *subs;
	struct cgnat_block *blocks;
	struct cgnat_portmap *ports;
	__u64 *grant_addr;	/* block id + 1 per slot, 0 = empty */
	__u64 *grant_new;
	__u64 *addr_dry;	/* per address: no free block beyond slots */
	struct cgnat_due *due;	/* the sessions' due index (sweep_due.c) */
	struct cgnat_due_rec *due_log;	/* and its log: CGNAT_DUE_LOG */
	struct cgnat_due_head *due_head; /* records and a head a CPU */
};
#define DP_VIEWS 9	/* the mmapped maps above */

/* A sweep in steps (bpf/sweep_run.c). */
struct dp_sweep {
	int pass;		/* 0 idle; 1 sessions, 2 mappings, 3 reverse */
	int more;		/* the pass's batch reads have not ended */
	__u64 token;		/* batch position (a bucket index) */
	struct cgnat_sweep_state st;	/* as cgnat_sweep_begin set it */
	void *keys, *vals;	/* one batch read */
	__u64 *marked;		/* mappings marked this pass (sweep_run.c) */
	__u32 marked_bits;	/* log2 of its slots */
	struct cgnat_sweep_args a;	/* counts so far */
	__u64 read;		/* entries read, all tables */
	__u64 buckets;		/* hash buckets walked, all tables */
	__u64 read_max_ns;	/* the pass's longest batch read */
	__u64 left_ms_sum;	/* remaining lifetime of the live sessions */
	__u64 left_n;		/* it saw, for the next interval */
	__u64 passes;		/* completed since the load */
	__u64 reads;		/* batch reads made by this pass */
	__u64 regrown;		/* of them, asked again for more (ENOSPC) */
	__u32 chunk;		/* entries the table's reads ask for */
	__u64 read_buckets;	/* 0: SWEEP_READ_BUCKETS; kept across passes */
	__u32 rsess_every;	/* 0: SWEEP_RSESS_CHECK; see below */
	int rsess_walked;	/* this pass reads the reverse entries */
	__u32 map_every;	/* 0: 1; walks of the mappings, see below */
	int map_walk;		/* this pass reads the mappings */
	int by_due;		/* this pass reads the due index, not the
				 * sessions (sweep_run.c) */
	__u64 due_pos;		/* its next bucket */
	__u64 due_named;	/* sessions it named to the judge */
	__u64 due_indexed;	/* slots a full read wrote */
	int read_all;		/* the next pass reads every session (set
				 * when user space put sessions in: HA) */
	__u64 *due_tail;	/* per CPU: due log records drained */
	__u64 due_logged;	/* log records drained, since the load */
	__u64 due_lost;		/* lost to a lapped ring, since the load */
};

/* A pass reads this many buckets of the due index a step (1 MiB). */
#define SWEEP_DUE_STEP 16384ull
/* A pass without a walk reads the due index only when the sessions are
 * at least one per SWEEP_DUE_MIN of its buckets: a bucket costs about
 * 25 ns to read, a session 400-500 ns (bench_scale: below that the
 * sessions themselves are the cheaper read).
 */
#define SWEEP_DUE_MIN 16

/* A batch read walks buckets until it holds its count of entries (or a
 * bucket would not fit), so over a sparse table one read of
 * CGNAT_SWEEP_CHUNK entries walked millions of empty buckets in one call:
 * 78-84 ms for the nearly empty mapping table of limits.sessions 10M.
 * Each table's reads ask instead for the entries expected in
 * SWEEP_READ_BUCKETS buckets (from its count at the pass's start; about
 * 0.5 ms at ~4 ns a bucket), at least one, doubled when a bucket holds
 * more. Below one entry in SWEEP_READ_BUCKETS buckets a read still walks
 * the gap to the next entry. A table counted empty is not read at all.
 */
#define SWEEP_READ_BUCKETS 131072ull

/* The sweep walks the reverse entries too on every SWEEP_RSESS_FULL-th
 * pass (the first after a load included), checking each against its
 * session, and for expired ones every rsess_every-th: SWEEP_RSESS_CHECK
 * at first and after a walk that freed more than one entry in
 * SWEEP_RSESS_FREED of those it read, doubled (up to SWEEP_RSESS_FULL)
 * after one that freed fewer (sweep_run.c). Powers of two, so every
 * SWEEP_RSESS_FULL-th pass is a walk.
 */
/* The sweep walks the mappings (marking the mappings of live TCP sessions
 * first) on every map_every-th pass: every pass at first and after a walk
 * that freed more than one outbound half in SWEEP_MAP_FREED of those it
 * read, doubled (up to SWEEP_MAP_EVERY) after one that freed fewer
 * (sweep_run.c). A mapping of one session goes with its session
 * (CGNAT_EPOCH_SOLE), in every pass; what waits for a walk is shared
 * mappings, PCP's, and those whose sessions went another way, up to
 * SWEEP_MAP_EVERY passes longer, and a new flow reclaims a port past its
 * bound on demand meanwhile. Powers of two, so the passes that walk the
 * reverse entries walk the mappings too.
 */
#define SWEEP_MAP_EVERY 8
#define SWEEP_MAP_FREED 100

#define SWEEP_RSESS_CHECK 8
#define SWEEP_RSESS_FULL 64
#define SWEEP_RSESS_FREED 1000

/* Sweep pacing (bpf/sweep_pace.c), after Linux conntrack's gc worker: a
 * pass reads every entry once per interval, in steps spread over it, and
 * the interval follows the remaining lifetimes of the live sessions the
 * last pass saw (their mean), within SWEEP_MIN_MS and the cap (twice the
 * shortest timer, at most SWEEP_MAX_MS; SWEEP_SMALL_MS for tables
 * small enough to cost nothing: few entries read, few buckets walked,
 * since a walk costs per bucket, even an empty one, and no batch read
 * longer than SWEEP_SMALL_READ_NS); a pass
 * that deleted a large share halves it (Cilium). Expired entries are
 * absent to every lookup whenever the sweep comes, so its lateness costs
 * memory and nothing else; a subscriber short of ports reclaims its own
 * (pba.h).
 */
#define SWEEP_MIN_MS 1000ull
#define SWEEP_MAX_MS 60000ull
#define SWEEP_RATE_MIN 100000ull	/* entries/s at least: small tables
					 * are read in one go */
#define SWEEP_SMALL 100000ull	/* a pass that read fewer entries ... */
#define SWEEP_SMALL_MS 5000ull	/* ... comes again within this */
/* Walking this many empty buckets costs about what reading one entry
 * does (~4 ns against ~400 ns here): a pass's cost in entries is read +
 * buckets / SWEEP_BUCKETS_PER_ENTRY, counting the buckets of the tables
 * it walked (one counted empty is not). 4M buckets (limits.sessions 1M)
 * count as 40k entries, 64M (10M) as 640k.
 */
#define SWEEP_BUCKETS_PER_ENTRY 100ull
/* One batch read walks buckets until it has its entries, in a kernel
 * call that nothing on its CPU preempts (PREEMPT_NONE), the refill
 * thread included: with 1024 asked for, 8.5 ms for the nearly empty
 * mapping table of the default limits.sessions here. A pass with a read
 * longer than this (cgnatd's loop's own budget for sweep steps in a
 * turn) is not small: nearly empty large tables wait their interval,
 * not SWEEP_SMALL_MS.
 */
#define SWEEP_SMALL_READ_NS 2000000ull

struct sweep_pace {
	__u64 interval_ms;	/* from one pass's start to the next */
	__u64 cap_ms;		/* min(SWEEP_MAX_MS, 2 x shortest timer) */
	__u64 entries;		/* entries the last pass read */
	__u64 t0_ms;		/* the pass under way began */
};

/* The cap from the shortest configured timer: no two passes are further
 * apart than twice it (short timers, as in tests, stay prompt), nor than
 * SWEEP_MAX_MS.
 */
void sweep_pace_cap(struct sweep_pace *p, __u64 shortest_timer_ms);
/* A pass ended having read 'read' entries; 'sw' has what it saw. Sets
 * the next interval.
 */
void sweep_pace_end(struct sweep_pace *p, const struct dp_sweep *sw);
/* When the first pass after a load at now_ms may start: at once on maps
 * reused from an earlier run (it reconciles them), one small-table
 * interval later on new ones, which hold nothing to expire and whose
 * empty buckets are the dearest read (see SWEEP_BUCKETS_PER_ENTRY).
 */
__u64 sweep_pace_first_ms(const struct sweep_pace *p, __u64 now_ms,
			  int fresh);
/* Entries the pass under way may have read by now_ms. */
__u64 sweep_pace_allowed(const struct sweep_pace *p, __u64 now_ms);

struct dp {
	struct cgnat_bpf *skel;
	struct dp_views v;
	size_t mm_len[DP_VIEWS];
	int fresh;		/* maps created by this load, not reused */
	int grant_v0_fd;	/* fd + 1 of an old-layout cgnat_grant_new */
	int ifindex_in, ifindex_out;
	int *ring_fd;		/* the event ring of each CPU (evring.c) */
	__u32 n_rings;		/* possible CPUs */
	struct dp_sweep sw;
	char err[384];
	char note[512]; /* what a load repaired on its own, for the log */
};

int dp_open(struct dp *dp, const struct dp_opts *o);
int dp_attach(struct dp *dp, const struct dp_opts *o);
void dp_close(struct dp *dp);

/* Mounts a bpffs on /sys/fs/bpf when 'dir' lies under it and none is
 * mounted there (a new machine, or a mount namespace without one): call it
 * before anything touches the pin directory. 0 or -errno with a message
 * for the operator in err.
 */
int dp_ensure_bpffs(const char *dir, char *err, size_t len);

/* Detach by removing the pinned links; with 'maps', also the map pins. */
int dp_unpin(const char *pin_dir, int maps);

int dp_set_cfg(struct dp *dp, const struct cgnat_cfg *cfg);
/* Writes all CGNAT_UDP_TIMER_PORTS per-port UDP timers (NULL: clears). */
int dp_set_udp_timers(struct dp *dp, const __u64 *ns);
/* limits.new_flows_per_subscriber (cgnat_abi.h). */
int dp_set_flow_limit(struct dp *dp, const struct cgnat_flow_limit *l);
int dp_add_tx(struct dp *dp, int ifindex);
/* Sums the per-CPU counters into out[STAT_MAX]. */
int dp_stats(struct dp *dp, __u64 *out);
/* The event rings (evring.c): dp_open() takes over the rings an earlier
 * run left in the pinned array, or makes them. dp_events_rb() returns one
 * ring_buffer reading every CPU's ring into 'fn' (ring i is CPU i's),
 * NULL with errno on failure; the caller frees it before dp_close(). Each
 * ring is in order; across rings, order is restored by the reader
 * (daemon/evorder.c).
 */
int dp_rings_open(struct dp *dp);
void dp_rings_close(struct dp *dp);
/* 1 when ring buffer 'fd' holds events not yet read, 0 if not, -errno. */
int dp_ring_unread(int fd);
/* 1 when 'cpu' is in a kernel CPU list such as "0-3,8" (sysfs). */
int dp_cpu_listed(const char *list, __u32 cpu);
struct ring_buffer *dp_events_rb(struct dp *dp, ring_buffer_sample_fn fn,
				 void *ctx);
/* Sets a counter that only userspace writes (CPU 0's slot holds it). */
int dp_stat_set(struct dp *dp, __u32 idx, __u64 value);
/* Bumps the next-hop generation (map cgnat_nh_gen): every next hop the
 * data plane cached before is looked up again on its next packet. Read,
 * add one, write: only one process (dprun) may call it. The new value
 * goes to *gen unless NULL.
 */
int dp_nh_bump(struct dp *dp, __u32 *gen);
/* Deletes a session from userspace the way the sweep does: the session,
 * then its reverse entry (which must never outlive it, see rsess.h), and
 * gives back the subscriber's session count. Its mapping goes with the
 * next sweep unless another session holds it. -ENOENT: no such session.
 */
int dp_sess_delete(struct dp *dp, const struct cgnat_sess_key *k);
/* A mapping on port 'port' of address index 'ai' ends now (userspace
 * deleted it): stamps its block's last use (cgnat_block.last_use_tai_ns)
 * with the current CLOCK_TAI before the caller frees the port bit, as
 * the data plane's deleters do, so the release is never logged before it.
 */
void dp_block_stamp(struct dp *dp, __u32 ai, __u32 port);
/* Removes every session and mapping of the n subscribers (network
 * order) and frees their ports: a deterministic layout change moved them
 * (det_flush.c). Returns the mappings removed or -errno.
 */
int dp_flush_subs(struct dp *dp, const __be32 *subs, __u32 n);
/* The sweep (see sweep.h), in steps: dp_sweep_begin() with now_ns 0
 * for the current time, then dp_sweep_step() until it returns 0, when
 * dp->sw.a holds the counts. A step reads one batch of a table and judges
 * it: well under a millisecond of work whatever the table size. An error
 * abandons the sweep (the next one starts afresh). Only one sweep may
 * run on a set of maps at a time.
 */
int dp_sweep_begin(struct dp *dp, __u64 now_ns);
int dp_sweep_step(struct dp *dp);
/* A whole sweep at once: a->now_ns in, counts out. */
int dp_sweep(struct dp *dp, struct cgnat_sweep_args *a);
/* Moves the data plane's due log into the due index (sweep_due.c):
 * cgnatd's loop does it every turn, a pass at its start. 0 or -ENOMEM.
 */
int dp_due_drain(struct dp *dp);
/* The walk of the mappings comes every this many passes (SWEEP_MAP_EVERY). */
__u32 dp_sweep_map_every(const struct dp_sweep *sw);
void dp_sweep_free(struct dp *dp);

/* Leaves the message in dp->err; returns -|err|. */
int dp_fail(struct dp *dp, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Fills the geometry fields of cfg from the port range; -EINVAL if the
 * range holds no block or violates the alignment rules.
 */
int dp_geometry(struct cgnat_cfg *cfg, __u32 port_lo, __u32 port_hi,
		__u32 block_size, __u32 n_addrs);

extern const char *const dp_stat_names[STAT_MAX];

#endif /* CGNAT_LOADER_H */
