// SPDX-License-Identifier: GPL-2.0
/*
 * loader.c - see loader.h. Order follows the skeleton lifecycle: open,
 * size maps and set pin paths, load (libbpf reuses compatible pinned
 * maps, which is what makes a restart hitless), mmap the shared arrays,
 * fill the static maps, then attach or update the pinned links.
 */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/loader.h"
#include "bpf/cgnat.skel.h"

const char *const dp_stat_names[STAT_MAX] = {
	[STAT_RX_INSIDE] = "rx_inside",
	[STAT_RX_OUTSIDE] = "rx_outside",
	[STAT_XLATE_OUT] = "xlate_out",
	[STAT_XLATE_IN] = "xlate_in",
	[STAT_HAIRPIN] = "hairpin",
	[STAT_PASS_NON_IP] = "pass_non_ip",
	[STAT_PASS_LOCAL] = "pass_local",
	[STAT_PASS_NOT_NAT] = "pass_not_nat",
	[STAT_PASS_NEIGH] = "pass_neigh",
	[STAT_TTL_EXPIRED] = "ttl_expired",
	[STAT_NEW_SESSION] = "new_session",
	[STAT_NEW_MAPPING] = "new_mapping",
	[STAT_NEW_SUBSCRIBER] = "new_subscriber",
	[STAT_BLOCK_TAKEN] = "block_taken",
	[STAT_FIB_LOOKUP] = "fib_lookup",
	[STAT_EVT_LOST] = "event_lost",
	[STAT_EVT_SESS_LOST] = "event_sess_lost",
	[STAT_GRANT_LOST] = "grant_lost",
	[STAT_ICMP_SENT] = "icmp_sent",
	[STAT_ICMP_LIMITED] = "icmp_rate_limited",
	[STAT_RELEASE_RACE] = "release_race",
	[STAT_ICMP_XLATE] = "icmp_error_translated",
	[STAT_PTB] = "packet_too_big",
	[STAT_PASS_FRAGMENT] = "pass_fragment_needed",
	[STAT_FRAG_FIRST] = "fragment_first",
	[STAT_FRAG_FOLLOW] = "fragment_follow",
	[STAT_FRAG_HELD] = "fragment_held",
	[STAT_FRAG_HOLD_FULL] = "fragment_hold_full",
	[STAT_FRAG_REINJECTED] = "fragment_reinjected",
	[STAT_FRAG_EXPIRED] = "fragment_expired",
	[STAT_FRAG_REFUSED] = "fragment_hold_refused",
	[STAT_XLATE_IN_FAST] = "xlate_in_fast",
	[STAT_SYN_PENDING] = "syn_pending",
	[STAT_SYN_PENDING_FULL] = "syn_pending_full",
	[STAT_SYN_LIMITED] = "syn_icmp_rate_limited",
	[STAT_SYN_SIMOPEN] = "syn_simultaneous_open",
	[STAT_SYN_ICMP_SENT] = "syn_icmp_sent",
	[STAT_SYN_ICMP_DROPPED] = "syn_icmp_dropped",
	[STAT_MAP_RECLAIMED] = "mapping_reclaimed",
	[STAT_SESS_REPLACED] = "session_replaced",
	[STAT_EVT_PARKED] = "event_parked",
	[STAT_EVT_PARKED_FORCED] = "event_parked_forced",
	[STAT_GRANT_NEW_EMPTY] = "grant_new_empty",
	[STAT_GRANT_ADDR_EMPTY] = "grant_addr_empty",
	[STAT_GRANT_BELL] = "grant_bell",
	[STAT_FRAG_COPIED] = "fragment_reinject_copied",
	[STAT_FRAG_REINJECT_FAILED] = "fragment_reinject_failed",
	[STAT_RECLAIM_IDLE] = "reclaim_idle",
	[STAT_QUOTA_HELD] = "quota_held",
	[STAT_DROP_BASE] = "drop_none",
	[STAT_DROP_BASE + REASON_MALFORMED] = "drop_malformed",
	[STAT_DROP_BASE + REASON_FRAGMENT] = "drop_fragment",
	[STAT_DROP_BASE + REASON_ICMP_ERROR] = "drop_icmp_error",
	[STAT_DROP_BASE + REASON_PROTO] = "drop_proto",
	[STAT_DROP_BASE + REASON_SPOOF] = "drop_spoof",
	[STAT_DROP_BASE + REASON_UNSOLICITED] = "drop_unsolicited",
	[STAT_DROP_BASE + REASON_FILTERED] = "drop_filtered",
	[STAT_DROP_BASE + REASON_TCP_NO_SYN] = "drop_tcp_no_syn",
	[STAT_DROP_BASE + REASON_QUOTA] = "drop_quota",
	[STAT_DROP_BASE + REASON_SESS_LIMIT] = "drop_session_limit",
	[STAT_DROP_BASE + REASON_POOL_EMPTY] = "drop_pool_empty",
	[STAT_DROP_BASE + REASON_GRANT_WAIT] = "drop_grant_wait",
	[STAT_DROP_BASE + REASON_FLOW_RATE] = "drop_flow_rate",
	[STAT_DROP_BASE + REASON_TABLE_FULL] = "drop_table_full",
	[STAT_DROP_BASE + REASON_NO_ROUTE] = "drop_no_route",
	[STAT_DROP_BASE + REASON_FRAG_NEEDED] = "drop_frag_needed",
	[STAT_DROP_BASE + REASON_TTL] = "drop_ttl",
	[STAT_DROP_BASE + REASON_HAIRPIN_OFF] = "drop_hairpin_off",
	[STAT_DROP_BASE + REASON_CONFLICT] = "drop_conflict",
	[STAT_DROP_BASE + REASON_PORT_ZERO] = "drop_port_zero",
	[STAT_DROP_BASE + REASON_MAP_DYING] = "drop_mapping_dying",
};

int dp_fail(struct dp *dp, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dp->err, sizeof(dp->err), fmt, ap);
	va_end(ap);
	return err < 0 ? err : -err;
}

int dp_geometry(struct cgnat_cfg *cfg, __u32 port_lo, __u32 port_hi,
		__u32 block_size, __u32 n_addrs)
{
	if (port_lo < 1024 || port_hi > 65535 || port_lo % 64 ||
	    block_size < 64 || block_size > 64 * CGNAT_MAX_BLOCK_WORDS ||
	    block_size % 64 || port_hi < port_lo + block_size - 1 || !n_addrs)
		return -EINVAL;
	cfg->port_lo = port_lo;
	cfg->block_size = block_size;
	cfg->blocks_per_addr = (port_hi + 1 - port_lo) / block_size;
	cfg->n_addrs = n_addrs;
	return 0;
}

static void set_size(struct bpf_map *m, __u32 n)
{
	bpf_map__set_max_entries(m, n ? n : 1);
}

static int size_maps(struct dp *dp, const struct dp_opts *o)
{
	struct cgnat_bpf *s = dp->skel;
	__u32 nblocks = o->n_addrs * o->cfg.blocks_per_addr, due;
	int ncpu = libbpf_num_possible_cpus();

	if (!o->n_addrs || !o->cfg.blocks_per_addr || !o->sessions ||
	    !o->subscribers || o->cfg.max_blocks > CGNAT_MAX_BLOCKS)
		return dp_fail(dp, -EINVAL, "invalid table sizes or geometry");
	set_size(s->maps.cgnat_sessions, o->sessions);
	set_size(s->maps.cgnat_rsess, o->sessions);
	set_size(s->maps.cgnat_mappings, o->sessions);
	set_size(s->maps.cgnat_map_in, o->sessions);
	/* The due index: two slots a session (three a bucket), so that
	 * few find their bucket full (sweep.h).
	 */
	due = (__u32)(((__u64)o->sessions * 2 + CGNAT_DUE_WAYS - 1) /
		      CGNAT_DUE_WAYS);
	set_size(s->maps.cgnat_sess_due, due);
	s->rodata->due_buckets = due ? due : 1;
	set_size(s->maps.cgnat_sub_idx, o->subscribers);
	set_size(s->maps.cgnat_subs, o->subscribers);
	set_size(s->maps.cgnat_sub_free, o->subscribers);
	set_size(s->maps.cgnat_reclaim_idle, o->subscribers * CGNAT_NPROTO);
	set_size(s->maps.cgnat_sub_flows, o->subscribers);
	set_size(s->maps.cgnat_quota_hold, o->subscribers * CGNAT_NPROTO);
	set_size(s->maps.cgnat_sub_prefixes, o->n_prefixes + 16);
	set_size(s->maps.cgnat_det_prefixes, o->n_det_prefixes + 16);
	set_size(s->maps.cgnat_det_ext, o->n_det_ext);
	set_size(s->maps.cgnat_det_frozen, o->n_det_frozen);
	set_size(s->maps.cgnat_addrs, o->n_addrs);
	set_size(s->maps.cgnat_addr_idx, o->n_addrs);
	set_size(s->maps.cgnat_ports, o->n_addrs * CGNAT_NPROTO);
	set_size(s->maps.cgnat_blocks, nblocks);
	set_size(s->maps.cgnat_grant_addr, o->n_addrs * CGNAT_GRANT_DEPTH);
	set_size(s->maps.cgnat_addr_dry, o->n_addrs);
	if (ncpu <= 0)
		return dp_fail(dp, ncpu ? ncpu : -EINVAL, "count possible CPUs");
	set_size(s->maps.cgnat_events, ncpu);
	set_size(s->maps.cgnat_due_log, ncpu * CGNAT_DUE_LOG);
	set_size(s->maps.cgnat_due_head, ncpu);
	return 0;
}

#define BPF_FS_MAGIC 0xcafe4a11

int dp_ensure_bpffs(const char *dir, char *err, size_t len)
{
	struct statfs sf;

	if (strncmp(dir, "/sys/fs/bpf/", 12))
		return 0;
	if (!statfs("/sys/fs/bpf", &sf) && sf.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		int e = errno;

		snprintf(err, len,
			 "no bpffs on /sys/fs/bpf and mounting one failed: %s; "
			 "mount it (mount -t bpf bpf /sys/fs/bpf) or set "
			 "--pin-dir to a directory on a mounted bpffs",
			 strerror(e));
		return -e;
	}
	return 0;
}

/* The map pinned at 'path', its info in *info: the fd, or -1 when
 * there is none (or it cannot be read).
 */
static int pin_info(const char *path, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);
	int fd = bpf_obj_get(path);

	memset(info, 0, sizeof(*info));
	if (fd >= 0 && bpf_obj_get_info_by_fd(fd, info, &len)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* 1 when the pinned map at 'path' is one this load makes afresh rather
 * than reuses: the reverse sessions, a cache that a program before a
 * downgrade may have left inconsistent (rsess.h), the sessions' due
 * index and its log (a cache the first pass rebuilds, sweep.h), the
 * per-destination next hops (a cache, fwd.h), the reclaim scans' idle
 * times (a cache, pba.h), the new-flow rates' buckets and the quota
 * holds (caches, nat.h: each starts full, or clear), counters or rate
 * buckets of another size (a build that added one), which only restart
 * at zero or full, and the event rings' array when its type or CPU
 * count differs (a build with one shared ring). Anything else of another
 * layout is refused by libbpf: a cold start.
 */
static int pin_replaced(struct bpf_map *m, const char *path)
{
	struct bpf_map_info info;
	int fd, other;

	if (!strcmp(bpf_map__name(m), "cgnat_rsess") ||
	    !strncmp(bpf_map__name(m), "cgnat_due_", 10) ||
	    !strcmp(bpf_map__name(m), "cgnat_sess_due") ||
	    !strcmp(bpf_map__name(m), "cgnat_nh_dst") ||
	    !strcmp(bpf_map__name(m), "cgnat_reclaim_idle") ||
	    !strcmp(bpf_map__name(m), "cgnat_sub_flows") ||
	    !strcmp(bpf_map__name(m), "cgnat_quota_hold") ||
	    !strncmp(bpf_map__name(m), "cgnat_det_", 10))
		return 1;	/* the deterministic layout: written afresh */
	if (strcmp(bpf_map__name(m), "cgnat_stats") &&
	    strcmp(bpf_map__name(m), "cgnat_rl") &&
	    strcmp(bpf_map__name(m), "cgnat_events"))
		return 0;
	fd = pin_info(path, &info);
	if (fd < 0)
		return 0;
	other = info.max_entries != bpf_map__max_entries(m) ||
		info.type != bpf_map__type(m);
	close(fd);
	return other;
}

/* Pins whose values mean something else than this build's (cgnat_state
 * holds 'have', 0 when the build that made them had no such map).
 */
static int state_refused(struct dp *dp, const char *dir, __u32 have)
{
	return dp_fail(dp, -EPROTO,
		       "pinned maps in %s are from an incompatible version "
		       "(state version %u, this build %u): cgnatd --detach "
		       "--pin-dir %s removes them: a cold start",
		       dir, have, CGNAT_STATE_VERSION, dir);
}

/* This build's state version into a new pin set (a reused one was
 * checked before the load: pinned_state).
 */
static int write_state(struct dp *dp)
{
	__u32 zero = 0, v = CGNAT_STATE_VERSION;

	if (dp->fresh &&
	    bpf_map_update_elem(bpf_map__fd(dp->skel->maps.cgnat_state), &zero,
				&v, 0))
		return dp_fail(dp, -errno, "write state version: %s",
			       strerror(errno));
	return 0;
}

static void note_add(struct dp *dp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A pinned cgnat_grant_new of the layout before the deeper first-block
 * slots (CGNAT_GRANT_NEW_WORDS_V0): held open, and the load makes this
 * build's map unpinned; move_grants() then pins it in its place and
 * moves the grants over. A load that fails leaves the old pin as it
 * was. 0 when the pin is anything else (libbpf judges it), 1 when taken.
 */
static int grant_new_v0(struct dp *dp, struct bpf_map *m, const char *path)
{
	struct bpf_map_info info;
	int fd;

	if (strcmp(bpf_map__name(m), "cgnat_grant_new"))
		return 0;
	fd = pin_info(path, &info);
	if (fd < 0)
		return 0;
	if (info.max_entries != CGNAT_GRANT_NEW_WORDS_V0) {
		close(fd);
		return 0;
	}
	dp->grant_v0_fd = fd + 1;
	return 1;
}

/* Pins this build's cgnat_grant_new in place of the old-layout one and
 * moves the grants over, each by an exchange: until the link swap the
 * old program takes from the old slots, and whoever empties a slot has
 * its block, so no block is ever in both. The dry words come along; the
 * fill words are the allocator's to write.
 */
static int move_grants(struct dp *dp, const char *dir)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = (CGNAT_GRANT_NEW_WORDS_V0 * sizeof(__u64) + pg - 1) &
		     ~((size_t)pg - 1);
	struct bpf_map *m = dp->skel->maps.cgnat_grant_new;
	int fd = dp->grant_v0_fd - 1, rc = 0;
	__u32 p, i, moved = 0;
	char path[256];
	__u64 *old, val;

	if (!dp->grant_v0_fd)
		return 0;
	dp->grant_v0_fd = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(m));
	old = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (old == MAP_FAILED)
		rc = dp_fail(dp, -errno, "mmap the old %s: %s", path,
			     strerror(errno));
	else if ((unlink(path) && errno != ENOENT) || bpf_map__pin(m, path))
		rc = dp_fail(dp, -errno, "pin %s in place of the old "
			     "layout: %s", path, strerror(errno));
	for (p = 0; !rc && p < CGNAT_MAX_POOLS; p++) {
		for (i = 0; i < CGNAT_NEW_DEPTH_V0; i++) {
			val = __atomic_exchange_n(
				&old[p * CGNAT_NEW_DEPTH_V0 + i], 0,
				__ATOMIC_ACQ_REL);
			__atomic_store_n(
				&dp->v.grant_new[p * CGNAT_NEW_DEPTH + i], val,
				__ATOMIC_RELEASE);
			moved += !!val;
		}
		val = __atomic_load_n(
			&old[CGNAT_MAX_POOLS * CGNAT_NEW_DEPTH_V0 + p],
			__ATOMIC_ACQUIRE);
		__atomic_store_n(&dp->v.grant_new[CGNAT_NEW_DRY + p], val,
				 __ATOMIC_RELEASE);
	}
	if (old != MAP_FAILED)
		munmap(old, len);
	close(fd);
	if (!rc)
		note_add(dp, "first-block grant slots moved to the deeper "
			     "layout (%u grants kept)", moved);
	return rc;
}

/* The state version of the pins in 'dir': another one is refused
 * before the load (libbpf would refuse some of a changed layout with a
 * less helpful message, after pinning maps of this build beside them).
 */
static int pinned_state(struct dp *dp, const char *dir)
{
	__u32 zero = 0, v = 0;
	char path[256];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/cgnat_state", dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return dp_fail(dp, -errno, "open %s: %s", path, strerror(errno));
	rc = bpf_map_lookup_elem(fd, &zero, &v);
	close(fd);
	if (rc)
		return dp_fail(dp, -errno, "read state version: %s",
			       strerror(errno));
	return v == CGNAT_STATE_VERSION ? 0 : state_refused(dp, dir, v);
}

/* Refuses pins of another state version before set_pins() touches any
 * (it unlinks those it makes afresh): a refused start leaves every pin
 * as it was. Pins without cgnat_state are of a build before it (0).
 */
static int pins_refused(struct dp *dp, const char *dir)
{
	struct bpf_map *m;
	char path[256];
	struct stat st;
	int any = 0;

	bpf_object__for_each_map(m, dp->skel->obj) {
		if (strchr(bpf_map__name(m), '.'))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(m));
		if (!pin_replaced(m, path) && !stat(path, &st))
			any = 1;
	}
	snprintf(path, sizeof(path), "%s/cgnat_state", dir);
	if (!stat(path, &st))
		return pinned_state(dp, dir);
	return any ? state_refused(dp, dir, 0) : 0;
}

/* Points every map at its pin path; notes whether they already exist. */
static int set_pins(struct dp *dp, const char *dir)
{
	struct bpf_map *m;
	char path[256];
	struct stat st;
	int rc;

	dp->fresh = 1;
	if (!dir)
		return 0;
	if (dp_ensure_bpffs(dir, dp->err, sizeof(dp->err)))
		return -EPERM;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return dp_fail(dp, -errno, "create %s: %s", dir, strerror(errno));
	rc = pins_refused(dp, dir);
	if (rc)
		return rc;
	bpf_object__for_each_map(m, dp->skel->obj) {
		if (strchr(bpf_map__name(m), '.'))
			continue;	/* .rodata, .bss: not shared */
		snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(m));
		/* The running program keeps the old map until the link
		 * swap; libbpf pins the new one at load.
		 */
		if (pin_replaced(m, path) && unlink(path) && errno != ENOENT)
			return dp_fail(dp, -errno, "remove %s: %s", path,
				    strerror(errno));
		if (grant_new_v0(dp, m, path)) {
			dp->fresh = 0;
			continue;	/* pinned by move_grants() */
		}
		if (!stat(path, &st)) {
			dp->fresh = 0;
			/* The kernel adds BPF_F_RDONLY_PROG to every devmap;
			 * libbpf 1.1 then finds the pin incompatible.
			 */
			if (bpf_map__type(m) == BPF_MAP_TYPE_DEVMAP_HASH)
				bpf_map__set_map_flags(m, bpf_map__map_flags(m) |
						       BPF_F_RDONLY_PROG);
		}
		if (bpf_map__set_pin_path(m, path))
			return dp_fail(dp, -EINVAL, "pin path %s", path);
	}
	return 0;
}

static void *map_mmap(struct bpf_map *m, size_t *len)
{
	size_t vs = (bpf_map__value_size(m) + 7) & ~7ul;
	size_t pg = sysconf(_SC_PAGESIZE);
	void *p;

	*len = (vs * bpf_map__max_entries(m) + pg - 1) & ~(pg - 1);
	p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 bpf_map__fd(m), 0);
	return p == MAP_FAILED ? NULL : p;
}

static int map_views(struct dp *dp)
{
	struct cgnat_bpf *s = dp->skel;
	struct bpf_map *maps[DP_VIEWS] = {
		s->maps.cgnat_subs, s->maps.cgnat_blocks, s->maps.cgnat_ports,
		s->maps.cgnat_grant_addr, s->maps.cgnat_grant_new,
		s->maps.cgnat_addr_dry, s->maps.cgnat_sess_due,
		s->maps.cgnat_due_log, s->maps.cgnat_due_head };
	void **views[DP_VIEWS] = {
		(void **)&dp->v.subs, (void **)&dp->v.blocks,
		(void **)&dp->v.ports, (void **)&dp->v.grant_addr,
		(void **)&dp->v.grant_new, (void **)&dp->v.addr_dry,
		(void **)&dp->v.due, (void **)&dp->v.due_log,
		(void **)&dp->v.due_head };
	int i;

	for (i = 0; i < DP_VIEWS; i++) {
		*views[i] = map_mmap(maps[i], &dp->mm_len[i]);
		if (!*views[i])
			return dp_fail(dp, -errno, "mmap %s: %s",
				    bpf_map__name(maps[i]), strerror(errno));
	}
	return 0;
}

static int fill_addrs(struct dp *dp, const struct dp_opts *o)
{
	int fa = bpf_map__fd(dp->skel->maps.cgnat_addrs);
	int fi = bpf_map__fd(dp->skel->maps.cgnat_addr_idx);
	__u32 i;

	for (i = 0; i < o->n_addrs; i++) {
		struct cgnat_addr a = { .addr = o->addrs[i],
					.pool = o->addr_pool[i] };

		if (bpf_map_update_elem(fa, &i, &a, 0) ||
		    bpf_map_update_elem(fi, &o->addrs[i], &i, 0))
			return dp_fail(dp, -errno, "fill pool addresses: %s",
				    strerror(errno));
	}
	return 0;
}

/* The deterministic layout; its maps are new at every load. */
static int fill_det(struct dp *dp, const struct dp_opts *o)
{
	int fp = bpf_map__fd(dp->skel->maps.cgnat_det_pools);
	int fx = bpf_map__fd(dp->skel->maps.cgnat_det_prefixes);
	int fe = bpf_map__fd(dp->skel->maps.cgnat_det_ext);
	int ff = bpf_map__fd(dp->skel->maps.cgnat_det_frozen);
	__u32 i;

	for (i = 0; i < CGNAT_MAX_POOLS; i++)
		if (bpf_map_update_elem(fp, &i, &o->det_pools[i], 0))
			goto fail;
	for (i = 0; i < o->n_det_prefixes; i++) {
		struct cgnat_sub_prefix k = {
			.prefixlen = o->det_prefixes[i].len,
			.addr = o->det_prefixes[i].addr };
		struct cgnat_det_prefix v = {
			.addr = o->det_prefixes[i].addr,
			.base = o->det_prefixes[i].pool };

		if (bpf_map_update_elem(fx, &k, &v, 0))
			goto fail;
	}
	for (i = 0; i < o->n_det_ext; i++)
		if (bpf_map_update_elem(fe, &i, &o->det_ext[i], 0))
			goto fail;
	for (i = 0; i < o->n_det_frozen; i++)
		if (bpf_map_update_elem(ff, &o->det_frozen[i],
					&o->det_frozen_until_ns, 0))
			goto fail;
	return 0;
fail:
	return dp_fail(dp, -errno, "fill deterministic layout: %s",
		       strerror(errno));
}

static int fill_static(struct dp *dp, const struct dp_opts *o)
{
	int fp = bpf_map__fd(dp->skel->maps.cgnat_sub_prefixes);
	int fq = bpf_map__fd(dp->skel->maps.cgnat_sub_free);
	__u32 i;
	int rc;

	rc = dp_set_cfg(dp, &o->cfg);
	if (!rc)
		rc = dp_set_udp_timers(dp, o->udp_timers);
	if (!rc)
		rc = dp_set_flow_limit(dp, &o->flow_limit);
	if (!rc)
		rc = fill_addrs(dp, o);
	if (!rc)
		rc = fill_det(dp, o);
	if (rc)
		return rc;
	for (i = 0; i < o->n_prefixes; i++) {
		struct cgnat_sub_prefix k = { .prefixlen = o->prefixes[i].len,
					      .addr = o->prefixes[i].addr };

		if (bpf_map_update_elem(fp, &k, &o->prefixes[i].pool, 0))
			return dp_fail(dp, -errno, "fill subscriber prefixes: %s",
				    strerror(errno));
	}
	/* Free subscriber slots are queued once, when the maps are new. */
	for (i = 0; dp->fresh && i < o->subscribers; i++)
		if (bpf_map_update_elem(fq, NULL, &i, 0))
			return dp_fail(dp, -errno, "fill subscriber queue: %s",
				    strerror(errno));
	return 0;
}

int dp_open(struct dp *dp, const struct dp_opts *o)
{
	int rc;

	memset(dp, 0, sizeof(*dp));
	dp->skel = cgnat_bpf__open();
	if (!dp->skel)
		return dp_fail(dp, -errno, "open BPF object: %s", strerror(errno));
	rc = size_maps(dp, o);
	if (!rc)
		rc = set_pins(dp, o->pin_dir);
	if (rc)
		goto err;
	rc = cgnat_bpf__load(dp->skel);
	if (rc) {
		dp_fail(dp, rc,
			"load BPF program: %s (pinned maps from an "
			"incompatible version? cgnatd --detach --pin-dir "
			"%s removes them: a cold start)",
			strerror(-rc), o->pin_dir ? o->pin_dir : "-");
		goto err;
	}
	rc = write_state(dp);
	if (!rc)
		rc = map_views(dp);
	if (!rc)
		rc = move_grants(dp, o->pin_dir);
	if (!rc)
		rc = dp_rings_open(dp);
	if (!rc)
		rc = fill_static(dp, o);
	if (rc)
		goto err;
	return 0;
err:
	dp_close(dp);
	return rc;
}

int dp_set_cfg(struct dp *dp, const struct cgnat_cfg *cfg)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.cgnat_cfg), &zero,
				cfg, 0))
		return dp_fail(dp, -errno, "write config map: %s",
			    strerror(errno));
	return 0;
}

int dp_set_udp_timers(struct dp *dp, const __u64 *ns)
{
	int fd = bpf_map__fd(dp->skel->maps.cgnat_udp_timers);
	__u32 port;
	__u64 v;

	for (port = 0; port < CGNAT_UDP_TIMER_PORTS; port++) {
		v = ns ? ns[port] : 0;
		if (bpf_map_update_elem(fd, &port, &v, 0))
			return dp_fail(dp, -errno, "write UDP port timers: %s",
				       strerror(errno));
	}
	return 0;
}

int dp_set_flow_limit(struct dp *dp, const struct cgnat_flow_limit *l)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.cgnat_flow_limit),
				&zero, l, 0))
		return dp_fail(dp, -errno, "write new-flow rate: %s",
			       strerror(errno));
	return 0;
}

int dp_add_tx(struct dp *dp, int ifindex)
{
	struct bpf_devmap_val v = { .ifindex = ifindex };
	__u32 k = ifindex;

	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.cgnat_tx), &k, &v,
				0))
		return dp_fail(dp, -errno, "add ifindex %d to devmap: %s",
			    ifindex, strerror(errno));
	return 0;
}

/* The ifindex a pinned XDP link is attached to; 0 once the interface has
 * gone (the kernel severs the link), -errno if unreadable.
 */
static int link_ifindex(int fd)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	return info.type == BPF_LINK_TYPE_XDP ? (int)info.xdp.ifindex : -EINVAL;
}

/* Appends one thing the load did on its own to dp->note ("; " between). */
static void note_add(struct dp *dp, const char *fmt, ...)
{
	size_t n = strlen(dp->note);
	va_list ap;

	if (n && n + 2 < sizeof(dp->note)) {
		strcpy(dp->note + n, "; ");
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(dp->note + n, sizeof(dp->note) - n, fmt, ap);
	va_end(ap);
}

/* Attaches 'prog' to 'ifname' via a pinned link, or, when a link is
 * already pinned there (restart, upgrade), swaps the program in place:
 * traffic never stops.
 */
static int attach_one(struct dp *dp, struct bpf_program *prog,
		      const char *ifname, const char *pin_dir,
		      const char *name, int generic, int *ifindex)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	char path[256];
	int fd, rc;

	*ifindex = if_nametoindex(ifname);
	if (!*ifindex)
		return dp_fail(dp, -ENODEV, "interface %s: %s", ifname,
			    strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		int was = link_ifindex(fd);

		if (was == *ifindex) {
			rc = bpf_link_update(fd, bpf_program__fd(prog), NULL);
			close(fd);
			if (rc)
				return dp_fail(
					dp, rc,
					"update XDP link on %s: %s; detach "
					"the data plane (cgnatd --detach) "
					"and start again",
					ifname, strerror(-rc));
			return 0;
		}
		close(fd);
		/* The interface went away (the link is severed) or its
		 * name now belongs to another ifindex. Dropping the pin
		 * drops the old link; the maps stay, so blocks, mappings
		 * and sessions carry over.
		 */
		if (unlink(path))
			return dp_fail(dp, -errno, "remove stale XDP link %s: %s",
				       path, strerror(errno));
		if (was > 0)
			note_add(dp,
				 "pinned XDP link %s was on ifindex %d "
				 "but %s is now ifindex %d: replaced by a new "
				 "link, pinned maps kept",
				 name, was, ifname, *ifindex);
		else
			note_add(
				dp,
				"pinned XDP link %s was severed (its "
				"interface was deleted; %s is now ifindex "
				"%d): replaced by a new link, pinned maps kept",
				name, ifname, *ifindex);
	}
	lo.flags = generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	fd = bpf_link_create(bpf_program__fd(prog), *ifindex, BPF_XDP, &lo);
	if (fd < 0)
		return dp_fail(
			dp, fd, "attach XDP (%s mode) on %s: %s; %s",
			generic ? "generic" : "native", ifname, strerror(-fd),
			fd == -EBUSY || fd == -EEXIST
				? "another XDP program is attached there: "
				  "remove it "
				  "(ip link set dev IF xdp off)"
			: generic ? "check the interface is up and usable"
				  : "if the driver lacks native XDP, set "
				    "interfaces.xdp_mode: generic");
	rc = bpf_obj_pin(fd, path);
	close(fd);	/* the pin keeps the link */
	if (rc)
		return dp_fail(dp, -errno, "pin XDP link %s: %s", path,
			    strerror(errno));
	return 0;
}

int dp_attach(struct dp *dp, const struct dp_opts *o)
{
	const char *dir = o->pin_dir ? o->pin_dir : CGNAT_PIN_DIR;
	int rc;

	rc = attach_one(dp, dp->skel->progs.cgnat_inside, o->inside, dir,
			"link_inside", o->xdp_generic, &dp->ifindex_in);
	if (!rc)
		rc = attach_one(dp, dp->skel->progs.cgnat_outside, o->outside,
				dir, "link_outside", o->xdp_generic,
				&dp->ifindex_out);
	if (!rc)
		rc = dp_add_tx(dp, dp->ifindex_in);
	if (!rc)
		rc = dp_add_tx(dp, dp->ifindex_out);
	return rc;
}

int dp_unpin(const char *pin_dir, int maps)
{
	const char *links[] = { "link_inside", "link_outside" };
	struct cgnat_bpf *s;
	struct bpf_map *m;
	char path[256];
	int rc = 0;
	size_t i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, links[i]);
		if (unlink(path) && errno != ENOENT)
			rc = -errno;
	}
	if (!maps)
		return rc;
	s = cgnat_bpf__open();
	if (!s)
		return -errno;
	bpf_object__for_each_map(m, s->obj) {
		/* .bss and the like are never pinned; bpffs refuses even to
		 * look up a name with a dot (EPERM).
		 */
		if (strchr(bpf_map__name(m), '.'))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir,
			 bpf_map__name(m));
		if (unlink(path) && errno != ENOENT)
			rc = -errno;
	}
	cgnat_bpf__destroy(s);
	if (rmdir(pin_dir) && errno != ENOENT && !rc)
		rc = -errno;
	return rc;
}

int dp_stats(struct dp *dp, __u64 *out)
{
	int fd = bpf_map__fd(dp->skel->maps.cgnat_stats);
	int ncpu = libbpf_num_possible_cpus();
	__u64 vals[ncpu > 0 ? ncpu : 1];
	__u32 i;
	int c;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	for (i = 0; i < STAT_MAX; i++) {
		if (bpf_map_lookup_elem(fd, &i, vals))
			return -errno;
		out[i] = 0;
		for (c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	return 0;
}

void dp_block_stamp(struct dp *dp, __u32 ai, __u32 port)
{
	struct cgnat_cfg c;
	struct timespec ts;
	__u32 zero = 0, n, id;
	__u64 t, old;

	if (!dp->v.blocks || bpf_map_lookup_elem(
				     bpf_map__fd(dp->skel->maps.cgnat_cfg),
				     &zero, &c) ||
	    !c.block_size || port < c.port_lo)
		return;
	n = (port - c.port_lo) / c.block_size;
	id = ai * c.blocks_per_addr + n;
	if (n >= c.blocks_per_addr ||
	    id >= bpf_map__max_entries(dp->skel->maps.cgnat_blocks))
		return;
	clock_gettime(CLOCK_TAI, &ts);
	t = (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	old = __atomic_load_n(&dp->v.blocks[id].last_use_tai_ns,
			      __ATOMIC_SEQ_CST);
	while (old < t &&
	       !__atomic_compare_exchange_n(&dp->v.blocks[id].last_use_tai_ns,
					    &old, t, 0, __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST))
		;
}

int dp_sess_delete(struct dp *dp, const struct cgnat_sess_key *k)
{
	struct cgnat_bpf *sk = dp->skel;
	int fs = bpf_map__fd(sk->maps.cgnat_sessions);
	struct cgnat_rsess_key rk;
	struct cgnat_sess s;
	__u32 idx, n;

	if (bpf_map_lookup_elem(fs, k, &s) || bpf_map_delete_elem(fs, k))
		return -errno;
	/* After the session, as the sweep does (rsess.h). */
	memset(&rk, 0, sizeof(rk));
	rk.ext_addr = s.ext_addr;
	rk.rem_addr = k->rem_addr;
	rk.ext_port = s.ext_port;
	rk.rem_port = k->rem_port;
	rk.proto = k->proto;
	if (bpf_map_delete_elem(bpf_map__fd(sk->maps.cgnat_rsess), &rk) &&
	    errno != ENOENT)
		return -errno;
	if (k->kind != CGNAT_SK_FLOW ||
	    bpf_map_lookup_elem(bpf_map__fd(sk->maps.cgnat_sub_idx),
				&k->int_addr, &idx) ||
	    idx >= bpf_map__max_entries(sk->maps.cgnat_subs))
		return 0;
	n = __atomic_load_n(&dp->v.subs[idx].sessions, __ATOMIC_RELAXED);
	while (n && !__atomic_compare_exchange_n(&dp->v.subs[idx].sessions,
						 &n, n - 1, 0, __ATOMIC_SEQ_CST,
						 __ATOMIC_RELAXED))
		;
	return 0;
}

int dp_stat_set(struct dp *dp, __u32 idx, __u64 value)
{
	int fd = bpf_map__fd(dp->skel->maps.cgnat_stats);
	int ncpu = libbpf_num_possible_cpus();
	__u64 vals[ncpu > 0 ? ncpu : 1];

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	memset(vals, 0, sizeof(vals));
	vals[0] = value;
	return bpf_map_update_elem(fd, &idx, vals, BPF_ANY) ? -errno : 0;
}

int dp_nh_bump(struct dp *dp, __u32 *gen)
{
	int fd = bpf_map__fd(dp->skel->maps.cgnat_nh_gen);
	__u32 zero = 0, g = 0;

	if (bpf_map_lookup_elem(fd, &zero, &g))
		return -errno;
	g++;
	if (bpf_map_update_elem(fd, &zero, &g, BPF_ANY))
		return -errno;
	if (gen)
		*gen = g;
	return 0;
}

void dp_close(struct dp *dp)
{
	void *views[DP_VIEWS] = { dp->v.subs, dp->v.blocks, dp->v.ports,
				  dp->v.grant_addr, dp->v.grant_new,
				  dp->v.addr_dry, dp->v.due, dp->v.due_log,
				  dp->v.due_head };
	int i;

	for (i = 0; i < DP_VIEWS; i++)
		if (views[i])
			munmap(views[i], dp->mm_len[i]);
	memset(&dp->v, 0, sizeof(dp->v));
	if (dp->grant_v0_fd)	/* a load that failed before moving them */
		close(dp->grant_v0_fd - 1);
	dp->grant_v0_fd = 0;
	dp_rings_close(dp);
	dp_sweep_free(dp);
	cgnat_bpf__destroy(dp->skel);
	dp->skel = NULL;
}
