// SPDX-License-Identifier: GPL-2.0
/*
 * bench_scale.c - make bench's 10M-session stage (docs/scale-expiry.md).
 * N sessions (argv[2], default 10M, fewer when this machine's free memory
 * would not hold them) go straight into the maps, as the data plane
 * writes them, each with its reverse session: half TCP established
 * (expiries spread over 10..7450 s), half UDP (10..310 s). argv[3] gives
 * their shape:
 *  - "one" (the default): one session per mapping, as most flows are
 *    (a client's TCP connections and QUIC, DNS queries each take a
 *    source port of their own). Each mapping is sole
 *    (CGNAT_EPOCH_SOLE): it goes with its session. N mappings need N
 *    external ports, more than the harness's four pool addresses hold,
 *    so they spread over 203.0.113.5-253, outside the pool: the sweep
 *    reads and deletes them the same, but keeps no port bits for them;
 *  - "shared": K = N / 150k sessions per mapping (66 at 10M), so the
 *    mappings take two ports of every three of the four pool addresses,
 *    their ports set in the bitmaps: every mapping is shared and lives
 *    by marks and the walk of the mappings (the only shape before the
 *    sole rule; kept to compare).
 * Then, through BPF_PROG_TEST_RUN in a netns of its own:
 *  - map memory (memlock of every map) per session of the table's limit;
 *  - before the fill, an idle box: one pass over the same tables empty
 *    (CPU, wall, longest step, the interval the pace chooses); then a
 *    sparse one, the first 1000 sessions alone (CPU, longest step,
 *    batch reads);
 *  - one sweep pass as cgnatd steps it, none expiring, and one 70 s on
 *    (a fifth expiring): CPU, wall, longest step, and the interval the
 *    pace chooses after it, so sweep CPU per second of wall time =
 *    pass CPU / interval (default timers); the passes without a walk
 *    read the due index, measured also as before it (reading every
 *    session) and with every due stale (what naming live sessions
 *    again costs);
 *  - established packets (ns/packet) and new flows (one test run each:
 *    a new mapping or a new session), without and with sweeps running
 *    back to back, unpaced, on the other core; new-flow drops;
 *  - restart: a second load reusing the pinned maps (what cgnatd does at
 *    a restart) and its first pass, while new flows run on the program
 *    in place: how long, and the longest a new flow waited meanwhile.
 * Prints a table; writes argv[1] (JSON).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tests/bpf/harness.h"
#include "bpf/cgnat.skel.h"

#define SEC_NS 1000000000ull
#define SESS_BYTES_GUESS 700ull	/* for the memory check: measured ~520 */

static struct harness H;

static uint64_t now_of(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * SEC_NS + ts.tv_nsec;
}

static uint64_t mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	unsigned long long kb = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024;
}

/* memlock of one map fd, from fdinfo. */
static uint64_t memlock(int fd)
{
	char path[64], line[256];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static uint64_t maps_bytes(void)
{
	struct bpf_map *m;
	uint64_t sum = 0;

	bpf_object__for_each_map(m, H.dp.skel->obj)
		if (bpf_map__fd(m) >= 0)
			sum += memlock(bpf_map__fd(m));
	return sum;
}

/* N synthetic sessions, K per mapping (see the head comment): K = 1
 * makes sole mappings outside the pool.
 */
static int fill(uint32_t n, uint32_t k, uint64_t now)
{
	int fs = bpf_map__fd(H.dp.skel->maps.cgnat_sessions);
	int fm = bpf_map__fd(H.dp.skel->maps.cgnat_mappings);
	int fi = bpf_map__fd(H.dp.skel->maps.cgnat_map_in);
	int fr = bpf_map__fd(H.dp.skel->maps.cgnat_rsess);
	enum { B = 8192 };
	static struct cgnat_sess_key sk[B];
	static struct cgnat_sess sv[B];
	static struct cgnat_map_key mk[B], ik[B];
	static struct cgnat_map mv[B];
	static struct cgnat_map_in iv[B];
	static struct cgnat_rsess_key rk[B];
	static struct cgnat_rsess rv[B];
	uint32_t i, j, c, nm;

	for (i = 0; i < n; i += c) {
		c = n - i < B ? n - i : B;
		nm = 0;
		for (j = 0; j < c; j++) {
			uint32_t id = i + j, m = id / k, r = id % k, ai = m % 4;
			/* Odd mappings TCP, established (2h4m timer). */
			uint8_t proto = m % 2 ? 6 : 17;
			uint64_t span = proto == 6 ? 7440000 : 300000;
			/* Two ports of every three, so every block keeps
			 * room for new mappings.
			 */
			uint16_t port = 1024 + (m / 4 + m / 8) % 64512;
			/* With its bound slot's code, as the data plane
			 * writes it (cgnat_abi.h).
			 */
			uint64_t exp = cgnat_exp_make(
				now + 10 * SEC_NS +
					(uint64_t)(id * 2654435761u % span) *
						1000000,
				span * 1000000);

			memset(&sk[j], 0, sizeof(sk[j]));
			sk[j].int_addr = htonl(0x64500000 + m / 64);
			sk[j].int_port = htons(10000 + m % 64);
			sk[j].rem_addr = htonl(0xc6336400 + r % 256);
			sk[j].rem_port = htons(1000 + r / 256);
			sk[j].proto = proto;
			memset(&sv[j], 0, sizeof(sv[j]));
			sv[j].expires_ns = exp;
			if (proto == 6)
				sv[j].tcp_seen = CGNAT_TCP_SYN_OUT |
						 CGNAT_TCP_SYN_IN;
			sv[j].ext_addr = H.addrs[ai];
			sv[j].ext_port = htons(port);
			if (k == 1) {	/* 203.0.113.5-253 */
				sv[j].ext_addr = htonl(0xcb007105 + m % 249);
				sv[j].ext_port = htons(1024 + m / 249 % 64512);
			}
			if (!r)	/* it made the mapping */
				sv[j].flags = CGNAT_SF_FIRST;
			rk[j] = (struct cgnat_rsess_key){ sv[j].ext_addr,
				sk[j].rem_addr, sv[j].ext_port, sk[j].rem_port,
				proto, { 0 } };
			rv[j] = (struct cgnat_rsess){ .expires_ns = exp,
				.int_addr = sk[j].int_addr,
				.int_port = sk[j].int_port,
				.tcp_seen = sv[j].tcp_seen };
			if (r && j)
				continue;	/* its mapping is written */
			mk[nm] = (struct cgnat_map_key){ sk[j].int_addr,
				sk[j].int_port, proto, CGNAT_DIR_OUT };
			mv[nm] = (struct cgnat_map){ .addr = sv[j].ext_addr,
				.port = sv[j].ext_port, .created_ns = now,
				.expires_ns = CGNAT_MAP_BOUND(cgnat_exp_make(
					now + 10 * SEC_NS + span * 1000000,
					span * 1000000)) };
			if (k == 1) {
				mv[nm].epoch = CGNAT_EPOCH_SOLE;
				mv[nm].sole_tag = cgnat_sole_tag(
					sk[j].rem_addr, sk[j].rem_port);
			}
			ik[nm] = (struct cgnat_map_key){ sv[j].ext_addr,
				sv[j].ext_port, proto, CGNAT_DIR_IN };
			iv[nm++] = (struct cgnat_map_in){
				.addr = sk[j].int_addr,
				.port = sk[j].int_port };
			if (k > 1)
				H.dp.v.ports[ai * CGNAT_NPROTO +
				     (proto == 6 ? CGNAT_P_TCP : CGNAT_P_UDP)]
				.w[port / 64] |= 1ull << (port % 64);
		}
		__u32 cs = c, cm = nm, ci = nm, cr = c;
		if (bpf_map_update_batch(fs, sk, sv, &cs, NULL) ||
		    bpf_map_update_batch(fm, mk, mv, &cm, NULL) ||
		    bpf_map_update_batch(fi, ik, iv, &ci, NULL) ||
		    bpf_map_update_batch(fr, rk, rv, &cr, NULL)) {
			fprintf(stderr, "fill at %u: %s\n", i, strerror(errno));
			return -1;
		}
	}
	return 0;
}

struct pass {
	double wall_s, cpu_s, step_max_ms;
	double step_cpu_max_ms;	/* the same in thread CPU time: without
				 * the time the VM or others took the CPU */
	uint64_t read, expired;
	uint64_t interval_ms;	/* what the pace chooses after it */
	uint64_t reads;		/* batch reads */
	uint64_t rsess_seen, rsess_deleted;
	uint64_t maps_seen, maps_expired, maps_sole;
	int map_walk;		/* it walked the mappings */
	int by_due;		/* it read the due index, not the sessions */
	uint64_t named;		/* sessions the due index named */
};

/* Sweep CPU per second of wall time over SWEEP_RSESS_FULL passes, each
 * an interval apart: one full check of the reverse entries (p0), a walk
 * of them for expired ones every 're'-th pass (pf), a walk of the
 * mappings every 'me'-th (pm; the reverse walks' passes walk them too),
 * the others reading the sessions alone (p1).
 */
static double sweep_share(const struct pass *p0, const struct pass *pf,
			  const struct pass *pm, const struct pass *p1,
			  unsigned re, unsigned me)
{
	unsigned n = SWEEP_RSESS_FULL, rw = n / re - 1, mw = n / me - n / re;

	return (p0->cpu_s + rw * pf->cpu_s + mw * pm->cpu_s +
		(n - 1 - rw - mw) * p1->cpu_s) /
	       n / (p1->interval_ms / 1e3);
}

#define SPARSE 1000u	/* sessions of the sparse box */

/* One pass stepped as dprun steps it (without its pauses). */
static int sweep_pass(struct dp *dp, uint64_t judge_ns, struct sweep_pace *sp,
		      struct pass *p)
{
	uint64_t w0 = now_of(CLOCK_MONOTONIC), c0 = now_of(CLOCK_THREAD_CPUTIME_ID);
	uint64_t t, c, max = 0, cmax = 0;
	int rc;

	if (dp_sweep_begin(dp, judge_ns))
		return -1;
	do {
		t = now_of(CLOCK_MONOTONIC);
		c = now_of(CLOCK_THREAD_CPUTIME_ID);
		rc = dp_sweep_step(dp);
		t = now_of(CLOCK_MONOTONIC) - t;
		c = now_of(CLOCK_THREAD_CPUTIME_ID) - c;
		if (t > max)
			max = t;
		if (c > cmax)
			cmax = c;
	} while (rc == 1);
	if (rc)
		return -1;
	p->wall_s = (now_of(CLOCK_MONOTONIC) - w0) / 1e9;
	p->cpu_s = (now_of(CLOCK_THREAD_CPUTIME_ID) - c0) / 1e9;
	p->step_max_ms = max / 1e6;
	p->step_cpu_max_ms = cmax / 1e6;
	p->read = dp->sw.read;
	p->reads = dp->sw.reads;
	p->rsess_seen = dp->sw.a.rsess_seen;
	p->rsess_deleted = dp->sw.a.rsess_deleted;
	p->expired = dp->sw.a.sessions_expired;
	p->maps_seen = dp->sw.a.mappings_seen;
	p->maps_expired = dp->sw.a.mappings_expired;
	p->maps_sole = dp->sw.a.mappings_sole;
	p->map_walk = dp->sw.map_walk;
	p->by_due = dp->sw.by_due;
	p->named = dp->sw.due_named;
	if (sp) {
		sweep_pace_end(sp, &dp->sw);
		p->interval_ms = sp->interval_ms;
	}
	return 0;
}

/* A pass without a walk that reads every session, as before the due
 * index (sweep_run.c reads the sessions when it has no index).
 */
static int sweep_pass_full(struct dp *dp, uint64_t judge_ns,
			   struct sweep_pace *sp, struct pass *p)
{
	struct cgnat_due *due = dp->v.due;
	int rc;

	dp->v.due = NULL;
	rc = sweep_pass(dp, judge_ns, sp, p);
	dp->v.due = due;
	return rc;
}

/* Every live session's due set to 'now' in the index: as if each had
 * been refreshed since the index last named it, so the next pass names
 * all and finds them live (the most a pass can find so). Returns how
 * many of the slots are UDP.
 */
static uint64_t due_all_stale(struct dp *dp, uint64_t now, uint64_t *tcp)
{
	uint64_t nb = bpf_map__max_entries(dp->skel->maps.cgnat_sess_due);
	uint64_t i, udp = 0;
	unsigned j;

	*tcp = 0;
	for (i = 0; i < nb; i++)
		for (j = 0; j < CGNAT_DUE_WAYS; j++) {
			struct cgnat_due_slot *d = &dp->v.due[i].s[j];

			if (!d->k.int_addr)
				continue;
			d->due = now >> CGNAT_DUE_SHIFT;
			if (d->k.proto == 17)
				udp++;
			else
				(*tcp)++;
		}
	return udp;
}

static volatile int sweeping;

static void *sweeper(void *arg)
{
	struct pass p;

	(void)arg;
	while (sweeping)
		if (sweep_pass(&H.dp, 0, NULL, &p))
			break;
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* ns/packet of an established outbound packet: the median of single
 * runs' kernel-measured times (a repeat run would translate its own
 * output again).
 */
static double established_ns(const uint8_t *buf, size_t len)
{
	enum { RUNS = 20001 };
	static uint32_t ns[RUNS];
	int i;

	for (i = 0; i < RUNS; i++)
		if (h_run_timed(H.prog[H_INSIDE], H.ifindex[H_INSIDE], buf, len,
				&ns[i]) != XDP_REDIRECT)
			return -1;
	qsort(ns, RUNS, sizeof(ns[0]), cmp_u32);
	return ns[RUNS / 2];
}

struct newflows {
	uint32_t sub0, subs, per;	/* subscribers from sub0, flows each */
	uint32_t sessions;	/* new sessions on one mapping per
				 * subscriber, not new mappings */
	uint32_t rate_cap;	/* flows/s at most, 0 = as fast as it can */
	uint32_t next;		/* sessions mode: the next remote */
	uint64_t ok, drops;
	double rate;			/* flows/s */
	double max_wait_ms;		/* longest single run */
};

/* One BPF_PROG_TEST_RUN per new flow: 'subs' subscribers 100.65.x.y
 * from index sub0, 'per' UDP flows each (new mappings), the grant slots
 * refilled every 256 flows as cgnatd's loop does.
 */
static void run_newflows(struct newflows *nf)
{
	uint8_t buf[128], out[256];
	struct pkt_spec s;
	uint64_t t0 = now_of(CLOCK_MONOTONIC), t, max = 0;
	uint32_t i, j, n = 0;

	for (i = 0; i < nf->subs; i++) {
		char a[32];
		uint32_t x = nf->sub0 + i;

		snprintf(a, sizeof(a), "100.65.%u.%u", x / 250, x % 250 + 1);
		for (j = 0; j < nf->per; j++, n++) {
			size_t len, olen = sizeof(out);
			int rc;

			memset(&s, 0, sizeof(s));
			s.proto = 17;
			s.saddr = pkt_ip(a);
			s.daddr = pkt_ip("198.51.100.10");
			s.sport = 20000 + j;
			s.dport = 7;
			if (nf->sessions) {
				s.sport = 30000;
				s.dport = 1 + nf->next % 60000;
				s.daddr = htonl(0xc6336400 + 11 +
						nf->next / 60000 % 200);
				nf->next++;
			}
			s.payload = 18;
			while (nf->rate_cap &&
			       n > (now_of(CLOCK_MONOTONIC) - t0) / 1e9 *
					   nf->rate_cap)
				usleep(100);
			s.ttl = 64;
			memcpy(s.smac, h_mac_h1, 6);
			memcpy(s.dmac, h_mac_tin, 6);
			len = pkt_build(buf, sizeof(buf), &s);
			if (n % 256 == 0)
				pb_refill(&H.pb, &H.pv);
			t = now_of(CLOCK_MONOTONIC);
			rc = h_run(&H, H_INSIDE, buf, len, out, &olen);
			t = now_of(CLOCK_MONOTONIC) - t;
			if (t > max)
				max = t;
			if (rc == XDP_REDIRECT)
				nf->ok++;
			else
				nf->drops++;
		}
	}
	nf->rate = n / ((now_of(CLOCK_MONOTONIC) - t0) / 1e9);
	nf->max_wait_ms = max / 1e6;
}

struct restart {
	const char *dir;
	double open_s, rebuild_s;
	struct pass first;
	int rc;
	volatile int done;
};

/* What a cgnatd restart does to the maps: load reusing the pins, rebuild
 * the allocator from them, then its first sweep pass (unpaced here).
 */
static void *restarter(void *arg)
{
	struct restart *r = arg;
	static struct dp dp2;
	static struct pb pb2;
	struct pb_views pv;
	struct pb_now now;
	struct dp_opts o = H.o;
	uint64_t t0 = now_of(CLOCK_MONOTONIC);

	o.pin_dir = r->dir;
	r->rc = dp_open(&dp2, &o);
	r->open_s = (now_of(CLOCK_MONOTONIC) - t0) / 1e9;
	if (r->rc) {
		fprintf(stderr, "restart: %s\n", dp2.err);
		r->done = 1;
		return NULL;
	}
	t0 = now_of(CLOCK_MONOTONIC);
	pv = H.pv;
	pv.grant_addr = dp2.v.grant_addr;
	pv.grant_new = dp2.v.grant_new;
	pv.blocks = dp2.v.blocks;
	pv.subs = dp2.v.subs;
	pv.ports = dp2.v.ports;
	r->rc = pb_init(&pb2, H.o.n_addrs, H.o.cfg.blocks_per_addr,
			H.addr_pool, 1);
	if (!r->rc) {
		pb_rebuild(&pb2, &pv);
		now.ms = now_of(CLOCK_BOOTTIME) / 1000000;
		now.tai_ns = now_of(CLOCK_TAI);
		pb_rebuild_life(&pb2, &pv, &now);
	}
	r->rebuild_s = (now_of(CLOCK_MONOTONIC) - t0) / 1e9;
	if (!r->rc)
		r->rc = sweep_pass(&dp2, 0, NULL, &r->first);
	pb_free(&pb2);
	dp_close(&dp2);
	r->done = 1;
	return NULL;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 10000000;
	uint64_t avail = mem_available(), want = n, limit, bytes, now;
	struct pass p0, p1, pm, pf, p2, pr, pi, ps, p1f, pl;
	double share, share8, share_full, revisit, per_named;
	uint64_t udp_live, tcp_live;
	unsigned walk_every, map_every;
	int shared = argc > 3 && !strcmp(argv[3], "shared");
	struct sweep_pace sp = { 0 }, spi = { 0 }, sps = { 0 };
	struct newflows nf0 = { .sub0 = 1, .subs = 100, .per = 50 };
	struct newflows nf1 = { .sub0 = 101, .subs = 100, .per = 50 };
	struct newflows nf2 = { .sub0 = 201 };
	struct restart rs = { 0 };
	double est0, est1, fill_s;
	uint8_t buf[128], out[256];
	size_t len, olen = sizeof(out);
	struct pkt_spec s;
	char dir[128];
	pthread_t th;
	uint32_t k;
	FILE *f;

	if (argc < 2 || (argc > 3 && !shared && strcmp(argv[3], "one"))) {
		fprintf(stderr,
			"usage: bench_scale OUT.json [SESSIONS [one|shared]]\n");
		return 2;
	}
	/* Half of what is free at most: the machine is shared. */
	if (n * SESS_BYTES_GUESS > avail / 2)
		n = avail / 2 / SESS_BYTES_GUESS / 1000000 * 1000000;
	if (n < 1000000)
		n = 1000000;
	if (n != want)
		printf("only %llu MB free: %llu sessions instead of %llu\n",
		       (unsigned long long)(avail >> 20),
		       (unsigned long long)n, (unsigned long long)want);
	limit = n + n / 8;	/* room for the new flows */
	k = !shared ? 1 : n / 150000 > 1 ? n / 150000 : 2;
	if (h_netns() || h_load_sized(&H, 4, 256, 32, 1, limit, 4096)) {
		fprintf(stderr, "bench_scale: load failed\n");
		return 1;
	}
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/cgnat-bench-scale-%d",
		 (int)getpid());
	if (bpf_object__pin_maps(H.dp.skel->obj, dir)) {
		fprintf(stderr, "pin %s: %s\n", dir, strerror(errno));
		return 1;
	}
	bytes = maps_bytes();
	/* An idle box: the same tables, empty. A pass walks every bucket
	 * (a batch read holds its CPU meanwhile), so the pace judges such
	 * tables large and sweeps them once per interval: pi. The pass
	 * count goes back to 0 so that p0 below is the first after a load.
	 */
	sweep_pace_cap(&spi, 30000);
	if (sweep_pass(&H.dp, 0, &spi, &pi)) {
		fprintf(stderr, "bench_scale: sweep: %s\n", H.dp.err);
		goto fail;
	}
	/* A sparse box, as just after a start: the fill's first SPARSE
	 * sessions alone (the fill below writes them again). Each read of a
	 * table is sized from its count (sweep_run.c); a read still walks
	 * the gap to the next entry, as large as the table is sparse.
	 */
	now = now_of(CLOCK_MONOTONIC);
	sweep_pace_cap(&sps, 30000);
	/* Too few sessions for the due index (SWEEP_DUE_MIN): the pass
	 * reads them.
	 */
	if (fill(SPARSE, k, now) || sweep_pass(&H.dp, 0, &sps, &ps) ||
	    ps.by_due) {
		fprintf(stderr, "bench_scale: sparse: %s\n", H.dp.err);
		goto fail;
	}
	H.dp.sw.passes = 0;
	fill_s = now_of(CLOCK_MONOTONIC);
	if (fill(n, k, now))
		goto fail;
	fill_s = (now_of(CLOCK_MONOTONIC) - fill_s) / 1e9;

	/* Default timers: the shortest is DNS's 30 s (udp_ports 53). */
	sweep_pace_cap(&sp, 30000);
	/* The first pass after a load walks the mappings and the reverse
	 * entries too, checking each of those against its session (so does
	 * every SWEEP_RSESS_FULL-th): p0. Then a pass reading the sessions
	 * alone (p1), one walking the mappings too (pm), one walking the
	 * reverse entries for expired ones as well (pf), and one 70 s on,
	 * walking the mappings (p2). How often the walks come (sweep_run.c)
	 * depends on what they free: for the mappings' walk, judged on p2's
	 * (a fifth of the sessions expire there), for the reverse walk on
	 * pf's, counted below.
	 */
	if (sweep_pass(&H.dp, now, &sp, &p0) ||
	    (H.dp.sw.passes = 1, H.dp.sw.map_every = SWEEP_MAP_EVERY,
	     sweep_pass(&H.dp, now, &sp, &p1)) ||
	    (H.dp.sw.passes = 1, H.dp.sw.map_every = 1,
	     sweep_pass(&H.dp, now, &sp, &pm)) ||
	    (H.dp.sw.passes = SWEEP_RSESS_CHECK,
	     H.dp.sw.rsess_every = SWEEP_RSESS_CHECK, H.dp.sw.map_every = 1,
	     sweep_pass(&H.dp, now, &sp, &pf)) ||
	    (H.dp.sw.passes = 1, H.dp.sw.map_every = 1,
	     sweep_pass(&H.dp, now + 70 * SEC_NS, &sp, &p2))) {
		fprintf(stderr, "bench_scale: sweep: %s\n", H.dp.err);
		goto fail;
	}
	/* The same pass as p1 reading every session (p1f, the only kind
	 * before the due index); then one with every due stale (pl): what
	 * the index's lower bounds cost, each live session named again once
	 * per timer (udp_live / 300 s + tcp_live / 7440 s a second).
	 */
	if ((H.dp.sw.passes = 1, H.dp.sw.map_every = SWEEP_MAP_EVERY,
	     sweep_pass_full(&H.dp, now, &sp, &p1f)) ||
	    (udp_live = due_all_stale(&H.dp, now, &tcp_live),
	     H.dp.sw.passes = 1, H.dp.sw.map_every = SWEEP_MAP_EVERY,
	     sweep_pass(&H.dp, now, NULL, &pl))) {
		fprintf(stderr, "bench_scale: sweep: %s\n", H.dp.err);
		goto fail;
	}
	if (!p0.map_walk || p1.map_walk || !pm.map_walk || !pf.map_walk ||
	    !p2.map_walk || p0.by_due || !p1.by_due || p1f.by_due ||
	    !pl.by_due) {
		fprintf(stderr, "bench_scale: passes of the wrong kind\n");
		goto fail;
	}

	/* The established flow: H1:5000 -> S1:7. */
	memset(&s, 0, sizeof(s));
	s.proto = 17;
	s.saddr = pkt_ip("100.64.0.10");
	s.daddr = pkt_ip("198.51.100.10");
	s.sport = 5000;
	s.dport = 7;
	s.ttl = 64;
	s.payload = 18;
	memcpy(s.smac, h_mac_h1, 6);
	memcpy(s.dmac, h_mac_tin, 6);
	len = pkt_build(buf, sizeof(buf), &s);
	if (h_run(&H, H_INSIDE, buf, len, out, &olen) != XDP_REDIRECT) {
		int i;

		for (i = STAT_DROP_BASE; i < STAT_MAX; i++)
			if (h_stat(&H, i))
				fprintf(stderr, "%s %llu\n", dp_stat_names[i],
					(unsigned long long)h_stat(&H, i));
		fprintf(stderr, "bench_scale: the established flow failed\n");
		goto fail;
	}
	est0 = established_ns(buf, len);
	run_newflows(&nf0);
	sweeping = 1;
	pthread_create(&th, NULL, sweeper, NULL);
	usleep(200000);
	est1 = established_ns(buf, len);
	run_newflows(&nf1);
	sweeping = 0;
	pthread_join(th, NULL);

	rs.dir = dir;
	pthread_create(&th, NULL, restarter, &rs);
	/* New sessions at 20k/s on ten mappings while it restarts. */
	while (!rs.done) {
		struct newflows b = { .sub0 = nf2.sub0, .subs = 10, .per = 100,
				      .sessions = 1, .rate_cap = 20000,
				      .next = nf2.next };

		run_newflows(&b);
		nf2.next = b.next;
		nf2.ok += b.ok;
		nf2.drops += b.drops;
		if (b.max_wait_ms > nf2.max_wait_ms)
			nf2.max_wait_ms = b.max_wait_ms;
	}
	pthread_join(th, NULL);
	pr = rs.first;
	if (rs.rc)
		goto fail;

	printf("%-52s %14s\n", "10M-session stage", "");
	/* Of SWEEP_RSESS_FULL passes: one p0, then every walk_every-th a
	 * pf, the rest p1. With leftovers the walks stay every
	 * SWEEP_RSESS_CHECK-th; when walks free hardly any of what they
	 * read (pf here), they settle at the full check's.
	 */
	walk_every = pf.rsess_deleted * SWEEP_RSESS_FREED <= pf.rsess_seen
			     ? SWEEP_RSESS_FULL
			     : SWEEP_RSESS_CHECK;
	map_every = (p2.maps_expired - p2.maps_sole) * SWEEP_MAP_FREED <=
				    p2.maps_seen
			    ? SWEEP_MAP_EVERY
			    : 1;
	/* The due passes' lower bounds: each live session named once per
	 * timer (UDP 300 s, TCP established 7440 s), at pl's cost a name.
	 */
	per_named = pl.named ? pl.cpu_s / pl.named : 0;
	revisit = per_named * (udp_live / 300.0 + tcp_live / 7440.0);
	share = sweep_share(&p0, &pf, &pm, &p1, walk_every, map_every) +
		revisit;
	share8 = sweep_share(&p0, &pf, &pm, &p1, SWEEP_RSESS_CHECK,
			     map_every) + revisit;
	share_full = sweep_share(&p0, &pf, &pm, &p1f, walk_every, map_every);
	printf("%-52s %14llu\n", "sessions (half TCP est., half UDP; reverse too)",
	       (unsigned long long)n);
	printf("%-52s %14u\n", shared ? "sessions per mapping (shared)" :
		      "sessions per mapping (sole mappings)", k);
	printf("%-52s %14.0f\n", "map memory, bytes per session (table limit)",
	       (double)bytes / limit);
	printf("%-52s %14.1f\n", "fill, s", fill_s);
	printf("%-52s %8.2f /%5.2f\n", "pass with reverse entries: CPU s / wall s",
	       p0.cpu_s, p0.wall_s);
	printf("%-52s %8.2f /%5.2f\n", "pass, none expired: CPU s / wall s",
	       p1.cpu_s, p1.wall_s);
	printf("%-52s %8.2f /%5.2f\n", "  the same reading every session (before)",
	       p1f.cpu_s, p1f.wall_s);
	printf("%-52s %8.2f /%5.2f\n", "  the same, every due stale: CPU/wall",
	       pl.cpu_s, pl.wall_s);
	printf("%-52s %14llu\n", "    sessions it named (live, or gone since)",
	       (unsigned long long)pl.named);
	printf("%-52s %8.2f /%5.2f\n", "  the same walking the mappings: CPU/wall",
	       pm.cpu_s, pm.wall_s);
	printf("%-52s %8.2f /%5.2f\n",
	       "pass reading reverse entries for expired ones: CPU/wall",
	       pf.cpu_s, pf.wall_s);
	printf("%-52s %8.2f /%5.2f\n", "pass, a fifth expired: CPU s / wall s",
	       p2.cpu_s, p2.wall_s);
	printf("%-52s %14llu\n", "  sessions it deleted",
	       (unsigned long long)p2.expired);
	printf("%-52s %6llu / %6llu\n",
	       "  mappings: with their session / by the walk",
	       (unsigned long long)p2.maps_sole,
	       (unsigned long long)(p2.maps_expired - p2.maps_sole));
	printf("%-52s %14.1f\n", "interval the pace chose, s",
	       p1.interval_ms / 1e3);
	printf("%-52s %13.1f%%\n", "sweep CPU per second of wall (target <= 10%)",
	       100.0 * share);
	printf("%-52s %13.2f%%\n", "  of which live sessions named again",
	       100.0 * revisit);
	printf("%-52s %13.1f%%\n", "  the same reading every session (before)",
	       100.0 * share_full);
	printf("  %-50s %14u\n", "mappings walked every Nth pass", map_every);
	printf("  %-50s %14u\n", "reverse entries walked every Nth pass",
	       walk_every);
	printf("%-52s %13.1f%%\n", "  the same with leftovers (walks every 8th)",
	       100.0 * share8);
	printf("%-52s %7.2f / %4.2f\n", "longest sweep step, ms: wall / CPU",
	       p0.step_max_ms > p2.step_max_ms ? p0.step_max_ms : p2.step_max_ms,
	       p0.step_cpu_max_ms > p2.step_cpu_max_ms ? p0.step_cpu_max_ms :
							 p2.step_cpu_max_ms);
	printf("%-52s %8.2f /%5.2f\n", "idle box, empty tables: pass CPU s / wall s",
	       pi.cpu_s, pi.wall_s);
	printf("%-52s %7.2f / %4.2f\n", "  its longest step, ms: wall / CPU",
	       pi.step_max_ms, pi.step_cpu_max_ms);
	printf("%-52s %14.1f\n", "  interval the pace chose, s",
	       pi.interval_ms / 1e3);
	printf("%-52s %13.2f%%\n", "  sweep CPU per second of wall",
	       100.0 * pi.cpu_s / (pi.interval_ms / 1e3));
	printf("sparse box, %-5u sessions: pass CPU s / wall s %13.3f /%5.3f\n",
	       SPARSE, ps.cpu_s, ps.wall_s);
	printf("%-52s %7.2f / %4.2f\n", "  its longest step, ms: wall / CPU",
	       ps.step_max_ms, ps.step_cpu_max_ms);
	printf("%-52s %14llu\n", "  batch reads", (unsigned long long)ps.reads);
	printf("%-52s %7.1f -> %5.1f\n",
	       "established ns/packet: idle -> sweeping", est0, est1);
	printf("%-52s %7.0f -> %5.0f\n",
	       "new flows/s (one test run each): idle -> sweeping", nf0.rate,
	       nf1.rate);
	printf("%-52s %4llu /%4llu /%4llu\n",
	       "new-flow drops (target none): idle/sweep/restart",
	       (unsigned long long)nf0.drops, (unsigned long long)nf1.drops,
	       (unsigned long long)nf2.drops);
	printf("%-52s %14.2f\n", "restart: load on the pins, s", rs.open_s);
	printf("%-52s %14.2f\n", "restart: allocator rebuilt, s", rs.rebuild_s);
	printf("%-52s %8.2f /%5.2f\n", "restart: first pass CPU s / wall s",
	       pr.cpu_s, pr.wall_s);
	printf("%-52s %14llu\n", "new sessions (20k/s) run meanwhile",
	       (unsigned long long)(nf2.ok + nf2.drops));
	printf("%-52s %7.2f / %4.2f\n",
	       "longest new flow, ms: idle / during restart", nf0.max_wait_ms,
	       nf2.max_wait_ms);

	f = fopen(argv[1], "w");
	if (f) {
		fprintf(f, "{\n  \"shape\": \"%s\",\n", shared ? "shared" : "one");
		fprintf(f, "  \"sessions\": %llu,\n  \"sessions_per_mapping\": %u,\n"
			   "  \"table_limit\": %llu,\n  \"map_bytes\": %llu,\n"
			   "  \"bytes_per_session\": %.0f,\n  \"fill_s\": %.2f,\n",
			(unsigned long long)n, k, (unsigned long long)limit,
			(unsigned long long)bytes, (double)bytes / limit, fill_s);
		fprintf(f, "  \"pass_with_reverse\": {\"cpu_s\": %.3f, \"wall_s\": %.3f, "
			   "\"entries\": %llu, \"step_max_ms\": %.3f, "
			   "\"step_cpu_max_ms\": %.3f},\n",
			p0.cpu_s, p0.wall_s, (unsigned long long)p0.read,
			p0.step_max_ms, p0.step_cpu_max_ms);
		fprintf(f, "  \"pass_none_expired\": {\"cpu_s\": %.3f, \"wall_s\": %.3f, "
			   "\"entries\": %llu, \"step_max_ms\": %.3f},\n",
			p1.cpu_s, p1.wall_s, (unsigned long long)p1.read,
			p1.step_max_ms);
		fprintf(f, "  \"pass_none_expired_full_read\": {\"cpu_s\": %.3f, "
			   "\"wall_s\": %.3f, \"entries\": %llu},\n",
			p1f.cpu_s, p1f.wall_s, (unsigned long long)p1f.read);
		fprintf(f, "  \"pass_every_due_stale\": {\"cpu_s\": %.3f, "
			   "\"wall_s\": %.3f, \"named\": %llu, "
			   "\"udp\": %llu, \"tcp\": %llu},\n",
			pl.cpu_s, pl.wall_s, (unsigned long long)pl.named,
			(unsigned long long)udp_live,
			(unsigned long long)tcp_live);
		fprintf(f, "  \"pass_walking_mappings\": {\"cpu_s\": %.3f, "
			   "\"wall_s\": %.3f, \"entries\": %llu},\n",
			pm.cpu_s, pm.wall_s, (unsigned long long)pm.read);
		fprintf(f, "  \"pass_reverse_expired_only\": {\"cpu_s\": %.3f, "
			   "\"wall_s\": %.3f, \"entries\": %llu},\n",
			pf.cpu_s, pf.wall_s, (unsigned long long)pf.read);
		fprintf(f, "  \"pass_fifth_expired\": {\"cpu_s\": %.3f, \"wall_s\": %.3f, "
			   "\"deleted\": %llu, \"step_max_ms\": %.3f, "
			   "\"mappings_with_session\": %llu, "
			   "\"mappings_by_walk\": %llu},\n",
			p2.cpu_s, p2.wall_s, (unsigned long long)p2.expired,
			p2.step_max_ms, (unsigned long long)p2.maps_sole,
			(unsigned long long)(p2.maps_expired - p2.maps_sole));
		fprintf(f, "  \"interval_s\": %.1f,\n  \"sweep_cpu_share\": %.4f,\n"
			   "  \"target_sweep_cpu_share\": 0.10,\n"
			   "  \"rsess_walk_every\": %u,\n"
			   "  \"map_walk_every\": %u,\n"
			   "  \"sweep_cpu_share_walk_every_8\": %.4f,\n"
			   "  \"sweep_cpu_share_revisits\": %.4f,\n"
			   "  \"sweep_cpu_share_full_reads\": %.4f,\n"
			   "  \"share_note\": \"of 64 passes: 1 checking "
			   "every reverse entry, 64 / rsess_walk_every - 1 "
			   "reading them for expired ones (and the mappings), "
			   "64 / map_walk_every - 64 / rsess_walk_every walking "
			   "the mappings, the rest reading the due index, "
			   "plus each live session named again once per "
			   "timer (sweep_cpu_share_revisits); "
			   "sweep_cpu_share_full_reads: the rest reading "
			   "every session instead, as before the due index; "
			   "interval from the pace with default timers\",\n",
			p1.interval_ms / 1e3, share, walk_every, map_every,
			share8, revisit, share_full);
		fprintf(f, "  \"idle_pass\": {\"cpu_s\": %.3f, \"wall_s\": %.3f, "
			   "\"step_max_ms\": %.3f, \"step_cpu_max_ms\": %.3f, "
			   "\"interval_s\": %.1f, \"cpu_share\": %.5f},\n",
			pi.cpu_s, pi.wall_s, pi.step_max_ms, pi.step_cpu_max_ms,
			pi.interval_ms / 1e3,
			pi.cpu_s / (pi.interval_ms / 1e3));
		fprintf(f, "  \"sparse_pass\": {\"sessions\": %u, \"cpu_s\": %.4f, "
			   "\"wall_s\": %.4f, \"step_max_ms\": %.3f, "
			   "\"step_cpu_max_ms\": %.3f, \"reads\": %llu},\n",
			SPARSE, ps.cpu_s, ps.wall_s, ps.step_max_ms,
			ps.step_cpu_max_ms, (unsigned long long)ps.reads);
		fprintf(f, "  \"established_ns\": {\"idle\": %.1f, \"sweeping\": %.1f},\n"
			   "  \"new_flows_per_s\": {\"idle\": %.0f, \"sweeping\": %.0f},\n"
			   "  \"new_flow_drops\": %llu,\n",
			est0, est1, nf0.rate, nf1.rate,
			(unsigned long long)(nf0.drops + nf1.drops + nf2.drops));
		fprintf(f, "  \"restart\": {\"open_s\": %.3f, \"rebuild_s\": %.3f, "
			   "\"first_pass_cpu_s\": %.3f, \"first_pass_wall_s\": %.3f, "
			   "\"new_flows_meanwhile\": %llu, \"new_flow_max_ms\": %.3f, "
			   "\"new_flow_max_ms_idle\": %.3f}\n}\n",
			rs.open_s, rs.rebuild_s, pr.cpu_s, pr.wall_s,
			(unsigned long long)(nf2.ok + nf2.drops), nf2.max_wait_ms,
			nf0.max_wait_ms);
		fclose(f);
	}
	bpf_object__unpin_maps(H.dp.skel->obj, dir);
	rmdir(dir);
	return 0;
fail:
	bpf_object__unpin_maps(H.dp.skel->obj, dir);
	rmdir(dir);
	return 1;
}
