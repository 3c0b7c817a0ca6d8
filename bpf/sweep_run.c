// SPDX-License-Identifier: GPL-2.0
/*
 * sweep_run.c - the userspace half of the sweep (see sweep.h and
 * loader.h): each step reads one batch of a table with
 * BPF_MAP_LOOKUP_BATCH, which resumes at a bucket index, sorts what it
 * read into the lists the judge takes (the .bss list the skeleton maps)
 * and runs cgnat_sweep_judge on each. The batch read is only a filter:
 * the judge decides on the current value.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/clock.h"
#include "bpf/loader.h"
#include "bpf/sweep_due.h"
#include "bpf/cgnat.skel.h"

enum { PASS_SESSIONS = 1, PASS_MAPPINGS, PASS_RSESS, PASS_END };

/* The table pass 'pass' reads. */
static struct bpf_map *pass_map(const struct dp *dp, int pass)
{
	const struct cgnat_bpf *s = dp->skel;

	return pass == PASS_SESSIONS ? s->maps.cgnat_sessions :
	       pass == PASS_MAPPINGS ? s->maps.cgnat_mappings :
				       s->maps.cgnat_rsess;
}

/* The kernel's bucket count of the pass's table (a power of two). */
static __u64 pass_buckets(const struct dp *dp, int pass)
{
	__u64 n = bpf_map__max_entries(pass_map(dp, pass)), b = 1;

	while (b < n)
		b <<= 1;
	return b;
}

/* The entries a read of the pass's table asks for: those expected in
 * SWEEP_READ_BUCKETS of its buckets (see loader.h).
 */
static __u32 pass_chunk(const struct dp *dp, int pass)
{
	const struct dp_sweep *sw = &dp->sw;
	__s64 n = sw->st.entries[pass - 1];
	__u64 b = pass_buckets(dp, pass), c;

	if (n < 0)
		return CGNAT_SWEEP_CHUNK;	/* count unknown */
	c = ((__u64)n * (sw->read_buckets ? sw->read_buckets
					   : SWEEP_READ_BUCKETS) + b - 1) / b;
	return c < 1 ? 1 : c > CGNAT_SWEEP_CHUNK ? CGNAT_SWEEP_CHUNK : c;
}

/* One batch read of the pass's table from the saved position. A bucket
 * longer than the count asked for fails with ENOSPC and nothing read
 * (the position then names that bucket): ask again for twice as many.
 */
static int pass_read(struct dp *dp, __u32 *n, __u64 *next)
{
	struct dp_sweep *sw = &dp->sw;
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	int fd = bpf_map__fd(pass_map(dp, sw->pass)), rc;

	for (;;) {
		*n = sw->chunk;
		sw->reads++;
		rc = bpf_map_lookup_batch(fd, sw->more ? &sw->token : NULL,
					  next, sw->keys, sw->vals, n, &o);
		if (rc != -ENOSPC || *n || sw->chunk >= CGNAT_SWEEP_CHUNK)
			return rc;
		sw->token = *next;
		sw->more = 1;
		sw->regrown++;
		sw->chunk = sw->chunk * 2 < CGNAT_SWEEP_CHUNK ? sw->chunk * 2
							      : CGNAT_SWEEP_CHUNK;
	}
}

int sweep_judge(struct dp *dp, __u32 op, __u32 n)
{
	struct cgnat_sweep_chunk ch = { .op = op, .n = n };
	LIBBPF_OPTS(bpf_test_run_opts, t, .ctx_in = &ch,
		    .ctx_size_in = sizeof(ch));
	int rc;

	if (!n)
		return 0;
	rc = bpf_prog_test_run_opts(
		bpf_program__fd(dp->skel->progs.cgnat_sweep_judge), &t);
	if (rc)
		return dp_fail(dp, rc, "run sweep judge: %s", strerror(-rc));
	return t.retval ? dp_fail(dp, -EIO, "sweep judge refused %u", n) : 0;
}

/* Mappings marked in this pass, remembered so that each is marked about
 * once rather than once per live TCP session (the batch read returns
 * sessions in hash order, so a mapping's sessions rarely neighbour): a
 * lossy two-way cache of map keys, emptied at every pass. Lossy is safe:
 * a forgotten key is only marked again. A remembered one stays marked for
 * the rest of the pass: a mark moves only to this epoch or to IN_USE,
 * which pass 2 keeps too, and a mapping deleted and made again since is
 * newer than the pass, which keeps it as well.
 */
static int mark_seen(struct dp_sweep *sw, const struct cgnat_map_key *mk)
{
	__u64 k, h, *slot;

	memcpy(&k, mk, sizeof(k));	/* never 0: int_addr is a subscriber */
	h = (k * 0x9e3779b97f4a7c15ull) >> (64 - sw->marked_bits);
	slot = &sw->marked[h & ~1ull];
	if (slot[0] == k || slot[1] == k)
		return 1;
	slot[1] = slot[0];
	slot[0] = k;
	return 0;
}

/* Sized from the session table: one slot per eight sessions (the pass's
 * mappings are at most its TCP sessions), 4096 to 1M slots (8 MiB).
 */
static int mark_cache(struct dp *dp)
{
	__u32 want = bpf_map__max_entries(dp->skel->maps.cgnat_sessions) / 8;
	struct dp_sweep *sw = &dp->sw;

	if (!sw->marked) {
		sw->marked_bits = 12;
		while (sw->marked_bits < 20 && (1u << sw->marked_bits) < want)
			sw->marked_bits++;
		sw->marked = calloc(1ull << sw->marked_bits, sizeof(__u64));
		if (!sw->marked)
			return -ENOMEM;
		return 0;
	}
	memset(sw->marked, 0, sizeof(__u64) << sw->marked_bits);
	return 0;
}

/* Expired sessions to the judge; the mappings of live TCP flows to be
 * marked, each about once per pass (mark_seen).
 */
static int sort_sessions(struct dp *dp, __u32 n)
{
	const struct cgnat_sess_key *k = dp->sw.keys;
	const struct cgnat_sess *v = dp->sw.vals;
	struct cgnat_sweep_list *l = &dp->skel->bss->sweep_list;
	__u64 now = dp->sw.st.now;
	__u32 i, m = 0;
	int rc;

	for (i = 0; i < n; i++) {
		if (v[i].expires_ns <= now) {
			l->sess[m++] = k[i];
		} else if (k[i].kind == CGNAT_SK_FLOW) {
			dp->sw.left_ms_sum += (v[i].expires_ns - now) / 1000000;
			dp->sw.left_n++;
		}
	}
	rc = sweep_judge(dp, CGNAT_SWEEP_EXPIRE, m);
	if (rc)
		return rc;
	sweep_due_index(dp, k, v, n);
	for (i = 0, m = 0; i < n; i++) {
		struct cgnat_map_key mk = { .addr = k[i].int_addr,
					    .port = k[i].int_port,
					    .proto = k[i].proto,
					    .dir = CGNAT_DIR_OUT };

		/* Only TCP mappings need marks: the others go by bound;
		 * and only for a walk of the mappings in this pass.
		 */
		if (!dp->sw.map_walk || v[i].expires_ns <= now ||
		    k[i].kind != CGNAT_SK_FLOW ||
		    k[i].proto != IPPROTO_TCP)
			continue;
		if (mark_seen(&dp->sw, &mk))
			continue;
		l->map[m++] = mk;
	}
	return sweep_judge(dp, CGNAT_SWEEP_MARK, m);
}

/* Outbound halves that no live session has marked in this sweep and that
 * are older than it: the candidates for deletion.
 */
static int sort_mappings(struct dp *dp, __u32 n)
{
	const struct cgnat_map_key *k = dp->sw.keys;
	const struct cgnat_map *v = dp->sw.vals;
	struct cgnat_sweep_list *l = &dp->skel->bss->sweep_list;
	__u32 i, m = 0;

	for (i = 0; i < n; i++) {
		dp->sw.a.mappings_seen++;
		if (v[i].epoch != dp->sw.st.epoch &&
		    v[i].created_ns < dp->sw.st.start &&
		    ((k[i].proto == IPPROTO_TCP &&
		      v[i].epoch != CGNAT_EPOCH_SOLE) ||
		     v[i].epoch == CGNAT_EPOCH_IN_USE ||
		     !cgnat_map_live(&v[i], dp->sw.st.now)))
			l->map[m++] = k[i];
	}
	return sweep_judge(dp, CGNAT_SWEEP_MAPPING, m);
}

static __u32 rsess_every(const struct dp_sweep *sw)
{
	return sw->rsess_every ? sw->rsess_every : SWEEP_RSESS_CHECK;
}

/* After a walk of the reverse entries: one that freed hardly any of what
 * it read was mostly wasted (leftovers are rare, see rsess.h), so the
 * next comes later; one that freed more brings the walks back to every
 * SWEEP_RSESS_CHECK-th pass. Cilium paces its table walks by the share
 * they delete in the same way.
 */
static void rsess_adapt(struct dp_sweep *sw)
{
	__u32 e = rsess_every(sw);

	if (sw->a.rsess_deleted * SWEEP_RSESS_FREED <= sw->a.rsess_seen)
		sw->rsess_every = e < SWEEP_RSESS_FULL ? e * 2 : e;
	else
		sw->rsess_every = SWEEP_RSESS_CHECK;
}

__u32 dp_sweep_map_every(const struct dp_sweep *sw)
{
	return sw->map_every ? sw->map_every : 1;
}

/* After a walk of the mappings: one that freed hardly any of the
 * outbound halves it read (what sole mappings leave it: those whose
 * sessions came and went another way, shared ones, PCP's) makes the
 * next walk wait twice as many passes, up to SWEEP_MAP_EVERY; one that
 * freed more brings it back to every pass. The sessions' deletions take
 * sole mappings with them, so on a box of one session per mapping the
 * walk, a read of every mapping, frees almost nothing.
 */
static void map_adapt(struct dp_sweep *sw)
{
	__u64 freed = sw->a.mappings_expired - sw->a.mappings_sole;
	__u32 e = dp_sweep_map_every(sw);

	if (freed * SWEEP_MAP_FREED <= sw->a.mappings_seen)
		sw->map_every = e < SWEEP_MAP_EVERY ? e * 2 : e;
	else
		sw->map_every = 1;
}

/* The expired reverse entries, and on every SWEEP_RSESS_FULL-th pass
 * every entry: only the judge can look its session up.
 */
static int sort_rsess(struct dp *dp, __u32 n)
{
	const struct cgnat_rsess_key *k = dp->sw.keys;
	const struct cgnat_rsess *v = dp->sw.vals;
	struct cgnat_sweep_list *l = &dp->skel->bss->sweep_list;
	int all = dp->sw.passes % SWEEP_RSESS_FULL == 0;
	__u32 i, m = 0;

	for (i = 0; i < n; i++) {
		if (!all && v[i].expires_ns > dp->sw.st.now)
			continue;
		l->rsess[m].k = k[i];
		l->rsess[m++].v = v[i];
	}
	dp->sw.a.rsess_seen += n;
	return sweep_judge(dp, CGNAT_SWEEP_RSESS, m);
}

int dp_sweep_begin(struct dp *dp, __u64 now_ns)
{
	struct dp_sweep *sw = &dp->sw;
	struct cgnat_sweep_args a = { .now_ns = now_ns };
	LIBBPF_OPTS(bpf_test_run_opts, t, .ctx_in = &a,
		    .ctx_size_in = sizeof(a));
	int rc;

	sw->pass = 0;
	if (!sw->keys) {
		/* Sized for the largest key and value of the three tables. */
		sw->keys = calloc(CGNAT_SWEEP_CHUNK,
				  sizeof(struct cgnat_sess_key));
		sw->vals = calloc(CGNAT_SWEEP_CHUNK,
				  sizeof(struct cgnat_sess));
		if (!sw->keys || !sw->vals)
			return dp_fail(dp, -ENOMEM, "sweep buffers");
	}
	if (mark_cache(dp))
		return dp_fail(dp, -ENOMEM, "sweep mark cache");
	rc = bpf_prog_test_run_opts(
		bpf_program__fd(dp->skel->progs.cgnat_sweep_begin), &t);
	if (rc)
		return dp_fail(dp, rc, "run sweep: %s", strerror(-rc));
	if (t.retval)
		return dp_fail(dp, -EIO, "sweep failed to start");
	sw->st = dp->skel->bss->sweep_state;
	memset(&sw->a, 0, sizeof(sw->a));
	sw->read = sw->buckets = sw->read_max_ns = 0;
	sw->reads = sw->regrown = 0;
	sw->rsess_walked = 0;
	sw->left_ms_sum = sw->left_n = 0;
	sw->a.now_ns = sw->st.now;
	sw->map_walk = sw->passes % dp_sweep_map_every(sw) == 0;
	/* A pass without a walk needs no marks: the due index names what
	 * may have expired (the first pass, a walk, indexes it). Unless
	 * the sessions are so few that reading them costs less than
	 * reading every bucket of the index (SWEEP_DUE_MIN), or user space
	 * put sessions in that the index does not name (read_all).
	 */
	sw->by_due = !sw->map_walk && !sw->read_all &&
		     sweep_due_buckets(dp) &&
		     (sw->st.entries[0] < 0 ||
		      (__u64)sw->st.entries[0] * SWEEP_DUE_MIN >=
			      sweep_due_buckets(dp));
	sw->read_all = 0;
	sw->due_pos = sw->due_named = sw->due_indexed = 0;
	/* What the data plane logged so far is in the index for this pass. */
	if (dp_due_drain(dp))
		return dp_fail(dp, -ENOMEM, "sweep due log");
	sw->pass = PASS_SESSIONS;
	sw->more = 0;
	return 0;
}

/* After the last step of a table: on to the next table this pass reads
 * (1), or the pass's end (0). The mappings only on every map_every-th
 * pass (map_adapt). The reverse entries only on every rsess_every-th: a
 * session's deleter takes its entry with it and an expired entry is
 * never used (rsess.h), so that pass frees leftovers, and its check of
 * every entry against its session (the backstop of the writers'
 * invariant) runs every SWEEP_RSESS_FULL-th.
 */
static int pass_next(struct dp *dp)
{
	struct dp_sweep *sw = &dp->sw;
	const struct cgnat_sweep_args *k = &dp->skel->bss->sweep_state.a;

	if (sw->pass == PASS_SESSIONS && !sw->map_walk)
		sw->pass++;
	if (sw->pass == PASS_MAPPINGS && sw->passes % rsess_every(sw))
		sw->pass++;
	if (++sw->pass == PASS_RSESS)
		sw->rsess_walked = 1;
	if (sw->pass != PASS_END)
		return 1;
	sw->passes++;
	sw->a.sessions_expired = k->sessions_expired;
	sw->a.mappings_expired = k->mappings_expired;
	sw->a.mappings_kept = k->mappings_kept;
	sw->a.mappings_sole = k->mappings_sole;
	sw->a.rsess_deleted = k->rsess_deleted;
	if (sw->rsess_walked)
		rsess_adapt(sw);
	if (sw->map_walk)
		map_adapt(sw);
	sw->pass = 0;
	return 0;
}

int dp_sweep_step(struct dp *dp)
{
	struct dp_sweep *sw = &dp->sw;
	__u64 next = 0, t;
	__u32 n = 0;
	int rc, last, walked = 1;

	if (sw->pass <= 0 || sw->pass >= PASS_END)
		return 0;
	if (sw->pass == PASS_SESSIONS && sw->by_due) {
		rc = sweep_due_step(dp);
		if (rc < 0) {
			sw->pass = 0;
			return rc;
		}
		return rc ? pass_next(dp) : 1;
	}
	if (!sw->more)	/* the table's first read */
		sw->chunk = pass_chunk(dp, sw->pass);
	if (!sw->more && sw->st.entries[sw->pass - 1] == 0) {
		rc = -ENOENT;	/* counted empty: nothing to walk */
		walked = 0;
	} else {
		t = cgnat_clock_ns(CLOCK_MONOTONIC);
		rc = pass_read(dp, &n, &next);
		t = cgnat_clock_ns(CLOCK_MONOTONIC) - t;
		if (t > sw->read_max_ns)
			sw->read_max_ns = t;
	}
	last = rc == -ENOENT;	/* the table's end; n entries still came */
	if (rc && !last) {
		sw->pass = 0;
		return dp_fail(dp, rc, "sweep: batch read: %s", strerror(-rc));
	}
	sw->token = next;
	sw->more = !last;
	sw->read += n;
	if (last && walked)
		sw->buckets += pass_buckets(dp, sw->pass);
	if (sw->pass == PASS_SESSIONS) {
		sw->a.sessions_seen += n;
		rc = sort_sessions(dp, n);
	} else if (sw->pass == PASS_MAPPINGS) {
		rc = sort_mappings(dp, n);
	} else {
		rc = sort_rsess(dp, n);
	}
	if (rc) {
		sw->pass = 0;
		return rc;
	}
	return last ? pass_next(dp) : 1;
}

int dp_sweep(struct dp *dp, struct cgnat_sweep_args *a)
{
	int rc = dp_sweep_begin(dp, a->now_ns);

	if (rc == 0)
		do
			rc = dp_sweep_step(dp);
		while (rc == 1);
	if (rc == 0)
		*a = dp->sw.a;
	return rc;
}

void dp_sweep_free(struct dp *dp)
{
	free(dp->sw.keys);
	free(dp->sw.vals);
	free(dp->sw.marked);
	free(dp->sw.due_tail);
	memset(&dp->sw, 0, sizeof(dp->sw));
}
