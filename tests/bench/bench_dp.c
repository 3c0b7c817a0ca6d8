// SPDX-License-Identifier: GPL-2.0
/*
 * bench_dp.c - ns/packet of the XDP program from BPF_PROG_TEST_RUN, beside
 * a minimal forwarder (MAC rewrite + devmap redirect) measured the same
 * way in the same run. A repeated run reuses one buffer, so an outbound
 * packet translated once would come back as a spoofed one: established
 * paths therefore run through bench_xdp.bpf.c, the real program behind a
 * restore of the packet from a template, with cgnat's own maps, and the
 * forwarder pays the same restore (method "repeat": mean of 1M runs,
 * median of 5 such rounds). Paths that must create state every time (new
 * session, new mapping) get a fresh packet per run (repeat=1, method
 * "per-run median"), compared with the forwarder measured the same way.
 * Every path checks its verdict, so each sample is the path it is named
 * after. JSON to argv[1].
 *
 *   bench_dp OUT.json [RUNS]
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tests/bpf/harness.h"
#include "bpf/xdp_fwd.skel.h"
#include "tests/bench/bench_xdp.skel.h"
#include "bpf/cgnat.skel.h"

static struct harness H;

struct result {
	const char *name;
	double median, mean, delta;
	double target;		/* max ns above the forwarder, 0 = none */
	const char *method;	/* "repeat" or "per-run median" */
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void summarize(uint32_t *ns, int n, struct result *r)
{
	double sum = 0;
	int i;

	qsort(ns, n, sizeof(*ns), cmp_u32);
	for (i = 0; i < n; i++)
		sum += ns[i];
	r->median = ns[n / 2];
	r->mean = sum / n;
}

static struct pkt_spec udp(const char *src, uint16_t sport, const char *dst,
			   uint16_t dport, int side)
{
	struct pkt_spec s = { .proto = 17, .saddr = pkt_ip(src),
			      .daddr = pkt_ip(dst), .sport = sport,
			      .dport = dport, .payload = 18 };

	memcpy(s.smac, side == H_INSIDE ? h_mac_h1 : h_mac_gw, 6);
	memcpy(s.dmac, side == H_INSIDE ? h_mac_tin : h_mac_tout, 6);
	return s;
}

/* Times 'runs' runs of one packet; fails if any verdict differs. */
static int time_fixed(int prog, int ifindex, const struct pkt_spec *s,
		      int want, int runs, struct result *r)
{
	uint32_t *ns = calloc(runs, sizeof(*ns));
	uint8_t buf[256];
	size_t len = pkt_build(buf, sizeof(buf), s);
	int i, act;

	for (i = 0; i < runs; i++) {
		act = h_run_timed(prog, ifindex, buf, len, &ns[i]);
		if (act != want) {
			fprintf(stderr, "%s: verdict %d, want %d\n", r->name,
				act, want);
			free(ns);
			return -1;
		}
	}
	summarize(ns, runs, r);
	free(ns);
	return 0;
}

/* New mappings: every run a new subscriber port (and new subscribers as
 * ports run out), so every run allocates a port and inserts a mapping
 * pair and a session. All go to one destination, whose next hop is then
 * cached per CPU (fwd.h); 'bump' makes it stale before every run. 'prog'
 * is cgnat's inside program, or a state floor of bench_xdp.bpf.c fed the
 * same packets (then no block is granted and no mapping counted).
 */
static int time_new(int prog, int runs, int bump, struct result *r)
{
	uint32_t *ns = calloc(runs, sizeof(*ns));
	uint64_t before = h_stat(&H, STAT_NEW_MAPPING);
	int cgnat = prog == H.prog[H_INSIDE];
	static int first;
	uint64_t want;
	uint8_t buf[256];
	char src[32];
	int i, act;

	for (i = 0; i < runs; i++) {
		struct pkt_spec s;
		size_t len;

		int f = first + i;	/* flows of an earlier call stay apart */

		snprintf(src, sizeof(src), "100.64.%d.%d", 2 + f / 2000 / 250,
			 1 + (f / 2000) % 250);
		s = udp(src, 10000 + f % 2000, "198.51.100.10", 7, H_INSIDE);
		len = pkt_build(buf, sizeof(buf), &s);
		if (cgnat && i % 8 == 0) {
			pb_sync(&H.pb, &H.pv, 0);
			pb_refill(&H.pb, &H.pv);
		}
		/* Every cached next hop stale: the FIB lookup every new
		 * flow paid before the per-destination entries.
		 */
		if (bump && dp_nh_bump(&H.dp, NULL)) {
			free(ns);
			return -1;
		}
		act = h_run_timed(prog, H.ifindex[H_INSIDE], buf, len, &ns[i]);
		if (act != XDP_REDIRECT) {
			fprintf(stderr, "%s %d: verdict %d\n", r->name, i, act);
			free(ns);
			return -1;
		}
	}
	first += runs;
	summarize(ns, runs, r);
	free(ns);
	want = cgnat ? runs : 0;
	return h_stat(&H, STAT_NEW_MAPPING) - before == want ? 0 : -1;
}

static int load_fwd(struct xdp_fwd_bpf **out)
{
	struct xdp_fwd_bpf *f = xdp_fwd_bpf__open();
	struct bpf_devmap_val v = { .ifindex = H.ifindex[H_OUTSIDE] };
	__u32 k = v.ifindex;

	if (!f)
		return -1;
	f->rodata->fwd_ifindex = k;
	memcpy((void *)f->rodata->fwd_dmac, h_mac_gw, 6);
	memcpy((void *)f->rodata->fwd_smac, h_mac_tout, 6);
	if (xdp_fwd_bpf__load(f) ||
	    bpf_map_update_elem(bpf_map__fd(f->maps.fwd_tx), &k, &v, 0)) {
		xdp_fwd_bpf__destroy(f);
		return -1;
	}
	*out = f;
	return 0;
}

/* The bench object shares every map of the loaded data plane. */
static int load_bench(struct bench_xdp_bpf **out)
{
	struct bench_xdp_bpf *b = bench_xdp_bpf__open();
	struct bpf_map *m, *dm;

	if (!b)
		return -1;
	/* The state floors' tables as large as cgnat's. */
	if (bpf_map__set_max_entries(b->maps.bench_floor_sess,
				     bpf_map__max_entries(
					     H.dp.skel->maps.cgnat_sessions)) ||
	    bpf_map__set_max_entries(b->maps.bench_floor_map,
				     bpf_map__max_entries(
					     H.dp.skel->maps.cgnat_mappings)) ||
	    bpf_map__set_max_entries(b->maps.bench_floor_map_in,
				     bpf_map__max_entries(
					     H.dp.skel->maps.cgnat_map_in)))
		goto err;
	bpf_object__for_each_map(m, b->obj) {
		dm = bpf_object__find_map_by_name(H.dp.skel->obj,
						  bpf_map__name(m));
		if (dm && !strchr(bpf_map__name(m), '.') &&
		    bpf_map__reuse_fd(m, bpf_map__fd(dm)))
			goto err;
	}
	if (bench_xdp_bpf__load(b))
		goto err;
	*out = b;
	return 0;
err:
	bench_xdp_bpf__destroy(b);
	return -1;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Mean ns of 'repeat' runs, median of 5 rounds; checks the verdict. */
static int time_repeat(struct bench_xdp_bpf *b, int prog, int ifindex,
		       const struct pkt_spec *s, int want, uint32_t repeat,
		       struct result *r)
{
	struct { __u32 ifindex; __u8 data[60]; } t = { H.ifindex[H_OUTSIDE], {0} };
	uint8_t buf[256];
	size_t len = pkt_build(buf, sizeof(buf), s);
	struct xdp_md ctx = { .data_end = len, .ingress_ifindex = ifindex };
	double m[5];
	__u32 zero = 0;
	int i;

	if (len != sizeof(t.data))
		return -1;
	memcpy(t.data, buf, len);
	if (bpf_map_update_elem(bpf_map__fd(b->maps.bench_tmpl), &zero, &t, 0))
		return -1;
	for (i = 0; i < 5; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = buf,
			    .data_size_in = len, .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx), .repeat = repeat);

		if (bpf_prog_test_run_opts(prog, &o) || o.retval != (__u32)want) {
			fprintf(stderr, "%s: verdict %u, want %d\n", r->name,
				o.retval, want);
			return -1;
		}
		m[i] = o.duration;
	}
	qsort(m, 5, sizeof(m[0]), cmp_dbl);
	r->median = r->mean = m[2];
	r->method = "repeat";
	return 0;
}

/* n sessions with their mappings and reverse sessions, straight into the
 * maps (batched): the sweep walks what a loaded box holds when every flow
 * has had inbound traffic. Subscribers 100.80.0.0 upwards.
 */
static int fill_sessions(uint32_t n, uint64_t expires_ns)
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
	uint32_t i, j, c;

	for (i = 0; i < n; i += c) {
		c = n - i < B ? n - i : B;
		for (j = 0; j < c; j++) {
			uint32_t id = i + j;

			memset(&sk[j], 0, sizeof(sk[j]));
			sk[j].int_addr = htonl(0x64500000 + id / 64);
			sk[j].int_port = htons(10000 + id % 64);
			sk[j].rem_addr = htonl(0xc6336401);
			sk[j].rem_port = htons(7);
			sk[j].proto = 17;
			memset(&sv[j], 0, sizeof(sv[j]));
			sv[j].expires_ns = expires_ns;
			sv[j].ext_addr = H.addrs[id % 4];
			sv[j].ext_port = htons(1024 + id / 4 % 60000);
			sv[j].flags = CGNAT_SF_FIRST;
			mk[j] = (struct cgnat_map_key){ sk[j].int_addr,
				sk[j].int_port, 17, CGNAT_DIR_OUT };
			/* Sole, as the data plane makes a mapping with its
			 * session, its bound covering it.
			 */
			mv[j] = (struct cgnat_map){ .addr = sv[j].ext_addr,
				.port = sv[j].ext_port,
				.epoch = CGNAT_EPOCH_SOLE,
				.sole_tag = cgnat_sole_tag(sk[j].rem_addr,
							   sk[j].rem_port),
				.expires_ns = CGNAT_MAP_BOUND(expires_ns) };
			ik[j] = (struct cgnat_map_key){ sv[j].ext_addr,
				sv[j].ext_port, 17, CGNAT_DIR_IN };
			iv[j] = (struct cgnat_map_in){ .addr = sk[j].int_addr,
				.port = sk[j].int_port };
			rk[j] = (struct cgnat_rsess_key){ sv[j].ext_addr,
				sk[j].rem_addr, sv[j].ext_port, sk[j].rem_port,
				17, { 0 } };
			rv[j] = (struct cgnat_rsess){ .expires_ns = expires_ns,
				.int_addr = sk[j].int_addr,
				.int_port = sk[j].int_port };
		}
		__u32 cs = c, cm = c, ci = c, cr = c;
		if (bpf_map_update_batch(fs, sk, sv, &cs, NULL) ||
		    bpf_map_update_batch(fm, mk, mv, &cm, NULL) ||
		    bpf_map_update_batch(fi, ik, iv, &ci, NULL) ||
		    bpf_map_update_batch(fr, rk, rv, &cr, NULL))
			return -1;
	}
	return 0;
}

/* A whole sweep, stepped as dprun steps it; the longest step goes to
 * *step_ms (what the owner's loop waits for at most), if not NULL.
 */
static double sweep_ms(uint64_t now_ns, struct cgnat_sweep_args *a,
		       double *step_ms)
{
	uint64_t t0 = h_now_ns(), ts, max = 0;
	int rc;

	if (dp_sweep_begin(&H.dp, now_ns))
		return -1;
	do {
		ts = h_now_ns();
		rc = dp_sweep_step(&H.dp);
		if (h_now_ns() - ts > max)
			max = h_now_ns() - ts;
	} while (rc == 1);
	if (rc)
		return -1;
	*a = H.dp.sw.a;
	if (step_ms)
		*step_ms = max / 1e6;
	return (h_now_ns() - t0) / 1e6;
}

/* The alternative: read every session out with batched lookups (what a
 * userspace sweep would do before deciding anything).
 */
static double batch_read_ms(void)
{
	int fd = bpf_map__fd(H.dp.skel->maps.cgnat_sessions);
	static struct cgnat_sess_key k[8192];
	static struct cgnat_sess v[8192];
	__u64 in = 0, out = 0, t0 = h_now_ns();
	int first = 1, rc;

	do {
		__u32 n = 8192;

		rc = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, k, v,
					  &n, NULL);
		first = 0;
		in = out;
	} while (!rc);
	return (h_now_ns() - t0) / 1e6;
}

static volatile int sweeping;

static void *sweeper(void *arg)
{
	struct cgnat_sweep_args a;

	(void)arg;
	while (sweeping)
		sweep_ms(h_now_ns(), &a, NULL);
	return NULL;
}

struct sweep_row {
	const char *name;
	uint32_t n;
	double ms;
	uint64_t expired;
	double step_ms;		/* longest step */
};

/* Sweep time at 100k and 1M sessions (none expiring: walk and mark, walk
 * the reverse sessions checking each against its session; all expiring:
 * delete sessions, reverse sessions, mappings and port bits), and the cost
 * of an established packet while sweeps run back to back on the other
 * core, against the same packet with no sweep.
 */
static int bench_sweep(const struct pkt_spec *s, uint32_t rep,
		       struct sweep_row *rows, struct result *during)
{
	uint32_t sizes[2] = { 100000, 1000000 }, i;
	struct cgnat_sweep_args a;
	uint8_t buf[256], out[256];
	size_t olen = sizeof(out);
	pthread_t th;
	int k = 0, rc;

	/* Fresh tables: the synthetic sessions must not share ports with
	 * the flows the packet paths above created.
	 */
	h_unload(&H);
	if (h_load_sized(&H, 4, 256, 32, 1, 1 << 21, 4096))
		return -1;
	for (i = 0; i < 2; i++) {
		uint64_t now = h_now_ns();

		/* The live flow first, so no synthetic entry takes its port. */
		olen = sizeof(out);
		h_run(&H, H_INSIDE, buf, pkt_build(buf, sizeof(buf), s), out,
		      &olen);

		if (fill_sessions(sizes[i], now + 300ull * 1000000000))
			return -1;
		rows[k] = (struct sweep_row){ "userspace batch read only",
					      sizes[i], batch_read_ms(), 0, 0 };
		k++;
		rows[k] = (struct sweep_row){ "sweep, none expired", sizes[i],
					      0, 0, 0 };
		rows[k].ms = sweep_ms(now, &a, &rows[k].step_ms);
		rows[k++].expired = a.sessions_expired;
		if (i == 1) {	/* the packet path under a running sweep */
			struct bench_xdp_bpf *b;

			if (load_bench(&b))
				return -1;
			sweeping = 1;
			pthread_create(&th, NULL, sweeper, NULL);
			rc = time_repeat(b, bpf_program__fd(b->progs.bench_inside),
					 H.ifindex[H_INSIDE], s, XDP_REDIRECT,
					 rep / 4, during);
			sweeping = 0;
			pthread_join(th, NULL);
			bench_xdp_bpf__destroy(b);
			if (rc)
				return -1;
		}
		rows[k] = (struct sweep_row){ "sweep, all expired", sizes[i],
					      0, 0, 0 };
		rows[k].ms = sweep_ms(now + 1000ull * 1000000000, &a,
				      &rows[k].step_ms);
		rows[k++].expired = a.sessions_expired;
	}
	return 0;
}

static void write_json(const char *path, struct result *r, int n,
		       const struct sweep_row *sw, int nsw)
{
	FILE *f = fopen(path, "w");
	int i;

	if (!f)
		return;
	fprintf(f, "{\n  \"unit\": \"ns/packet, BPF_PROG_TEST_RUN\",\n"
		   "  \"results\": [\n");
	for (i = 0; i < n; i++)
		fprintf(f, "    {\"path\": \"%s\", \"method\": \"%s\", "
			   "\"ns\": %.1f, \"above_forwarder_ns\": %.1f, "
			   "\"target_above_ns\": %.0f}%s\n",
			r[i].name, r[i].method, r[i].median, r[i].delta,
			r[i].target, i + 1 < n ? "," : "");
	fprintf(f, "  ],\n  \"sweep\": [\n");
	for (i = 0; i < nsw; i++)
		fprintf(f, "    {\"what\": \"%s\", \"sessions\": %u, "
			   "\"ms\": %.1f, \"longest_step_ms\": %.2f, "
			   "\"expired\": %llu}%s\n",
			sw[i].name, sw[i].n, sw[i].ms, sw[i].step_ms,
			(unsigned long long)sw[i].expired,
			i + 1 < nsw ? "," : "");
	fprintf(f, "  ]\n}\n");
	fclose(f);
}

/* New session on an existing mapping: a new destination every run. */
static int time_new_session(const struct pkt_spec *s, int runs,
			    struct result *r)
{
	uint32_t *ns = calloc(runs, sizeof(*ns));
	uint8_t buf[256];
	int i, fail = 0;

	for (i = 0; i < runs; i++) {
		struct pkt_spec d = *s;
		size_t len;

		d.daddr = htonl(0xc6336400 + 1 + i % 200);
		d.dport = 1000 + i / 200;
		len = pkt_build(buf, sizeof(buf), &d);
		if (h_run_timed(H.prog[H_INSIDE], H.ifindex[H_INSIDE], buf,
				len, &ns[i]) != XDP_REDIRECT)
			fail = 1;
	}
	summarize(ns, runs, r);
	free(ns);
	return fail ? -1 : 0;
}

/* A subscriber at its quota (max_blocks full of UDP mappings, none
 * expired) opening new flows: each is refused. What a refusal costs is
 * what one such subscriber can make the data plane spend per packet.
 */
static int time_quota(uint32_t ports, int runs, struct result *r)
{
	uint64_t before = 0;
	uint32_t *ns = calloc(runs, sizeof(*ns));
	uint8_t buf[256];
	int i, act, fail = 0;

	for (i = 0; i < (int)ports + runs && !fail; i++) {
		struct pkt_spec d = udp("100.64.250.1", 1024 + i,
					"198.51.100.10", 7, H_INSIDE);
		size_t len = pkt_build(buf, sizeof(buf), &d);
		uint32_t t;

		if (i < (int)ports) {
			if (i % 8 == 0) {
				pb_sync(&H.pb, &H.pv, 0);
				pb_refill(&H.pb, &H.pv);
			}
			fail = h_run_timed(H.prog[H_INSIDE], H.ifindex[H_INSIDE],
					   buf, len, &t) != XDP_REDIRECT;
			continue;
		}
		if (i == (int)ports)
			before = h_stat(&H, STAT_DROP_BASE + REASON_QUOTA);
		act = h_run_timed(H.prog[H_INSIDE], H.ifindex[H_INSIDE], buf,
				  len, &ns[i - ports]);
		fail = act != XDP_DROP && act != XDP_TX;
	}
	if (!fail && h_stat(&H, STAT_DROP_BASE + REASON_QUOTA) - before !=
			     (uint64_t)runs)
		fail = 1;
	if (fail)
		fprintf(stderr, "%s: not refused at the quota\n", r->name);
	else
		summarize(ns, runs, r);
	free(ns);
	return fail ? -1 : 0;
}

/* A subscriber above limits.new_flows_per_subscriber (1 a second, a
 * burst of 1) opening new flows: each is refused before the mapping and
 * port work. What such a flood costs per packet, beside the quota's.
 * Runs the clock lets through (one a second) are not timed.
 */
static int time_flow_rate(int runs, struct result *r)
{
	struct cgnat_flow_limit l = { .interval_ns = 1000000000ull,
				      .rate = 1, .burst = 1 };
	uint32_t *ns = calloc(runs, sizeof(*ns)), t;
	uint64_t before = h_stat(&H, STAT_DROP_BASE + REASON_FLOW_RATE);
	int i, act, n = 0, fail = dp_set_flow_limit(&H.dp, &l) != 0;
	uint8_t buf[256];

	for (i = 0; i < runs + 2 && n < runs && !fail; i++) {
		struct pkt_spec d = udp("100.64.252.1", 1024 + i,
					"198.51.100.10", 7, H_INSIDE);
		size_t len = pkt_build(buf, sizeof(buf), &d);

		act = h_run_timed(H.prog[H_INSIDE], H.ifindex[H_INSIDE], buf,
				  len, &t);
		if (act == XDP_DROP || act == XDP_TX)
			ns[n++] = t;
		else if (act != XDP_REDIRECT)
			fail = 1;
	}
	if (!fail && (n < runs ||
		      h_stat(&H, STAT_DROP_BASE + REASON_FLOW_RATE) - before !=
			      (uint64_t)n))
		fail = 1;
	memset(&l, 0, sizeof(l));
	fail |= dp_set_flow_limit(&H.dp, &l) != 0;
	if (fail)
		fprintf(stderr, "%s: not refused at the rate\n", r->name);
	else
		summarize(ns, n, r);
	free(ns);
	return fail ? -1 : 0;
}

static void print_table(struct result *r, int n, const struct sweep_row *sw,
			int nsw)
{
	int i;

	printf("\n%-38s %-15s %8s %10s %8s\n", "path", "method", "ns/pkt",
	       "above fwd", "target");
	for (i = 0; i < n; i++)
		printf("%-38s %-15s %8.1f %10.1f %8s\n", r[i].name,
		       r[i].method, r[i].median, r[i].delta,
		       !r[i].target ? "-" :
		       r[i].delta <= r[i].target ? "met" : "MISSED");
	printf("\n%-34s %10s %10s %13s %10s\n", "sweep (in steps)",
	       "sessions", "ms", "longest step", "expired");
	for (i = 0; i < nsw; i++)
		printf("%-34s %10u %10.1f %13.2f %10llu\n", sw[i].name,
		       sw[i].n, sw[i].ms, sw[i].step_ms,
		       (unsigned long long)sw[i].expired);
}

int main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[2]) : 200000;
	uint32_t rep = argc > 3 ? atoi(argv[3]) : 1000000;
	struct sweep_row sw[6];
	struct result r[14] = {
		{ .name = "xdp forwarder (baseline)" },
		{ .name = "cgnat outbound established", .target = 40 },
		{ .name = "cgnat inbound established", .target = 40 },
		{ .name = "cgnat hairpin established" },
		{ .name = "xdp forwarder (baseline)" },
		{ .name = "cgnat outbound, new session (EIM)" },
		{ .name = "cgnat outbound, new mapping", .target = 500 },
		{ .name = "outbound established, sweep running" },
		{ .name = "new mapping, next hop stale (FIB)" },
		{ .name = "floor: 1 hash miss + insert" },
		{ .name = "floor: 3 (session, mapping pair)" },
		{ .name = "floor: 3, inbound half an array slot" },
		{ .name = "new flow refused at the quota" },
		{ .name = "new flow refused at the flow rate" },
	};
	struct pkt_spec s, in, hp;
	struct bench_xdp_bpf *b;
	struct xdp_fwd_bpf *fwd;
	uint8_t out[256], buf[256];
	size_t olen = sizeof(out), len;
	uint64_t fast;
	char ext[16];
	int i, fail = 0;
	cpu_set_t one;

	/* One CPU: the per-destination next hops are per CPU, as they are
	 * for a live queue's packets.
	 */
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		perror("sched_setaffinity");
	if (argc < 2 || h_netns() ||
	    h_load_sized(&H, 4, 256, 32, 1, 1 << 20, 4096) || load_fwd(&fwd) ||
	    load_bench(&b))
		return 1;
	/* Established state: H1:5000 -> S1:7; H2 hairpins to E(H1). */
	s = udp("100.64.0.10", 5000, "198.51.100.10", 7, H_INSIDE);
	len = pkt_build(buf, sizeof(buf), &s);
	h_run(&H, H_INSIDE, buf, len, out, &olen);
	inet_ntop(AF_INET, out + 26, ext, sizeof(ext));
	in = udp("198.51.100.10", 7, ext, out[34] << 8 | out[35], H_OUTSIDE);
	hp = udp("100.64.0.11", 6000, ext, out[34] << 8 | out[35], H_INSIDE);

	fail |= time_repeat(b, bpf_program__fd(b->progs.bench_fwd),
			    H.ifindex[H_INSIDE], &s, XDP_REDIRECT, rep, &r[0]);
	fail |= time_repeat(b, bpf_program__fd(b->progs.bench_inside),
			    H.ifindex[H_INSIDE], &s, XDP_REDIRECT, rep, &r[1]);
	fast = h_stat(&H, STAT_XLATE_IN_FAST);
	fail |= time_repeat(b, bpf_program__fd(b->progs.bench_outside),
			    H.ifindex[H_OUTSIDE], &in, XDP_REDIRECT, rep, &r[2]);
	/* All but the first run (which installs it) by the reverse session. */
	if (h_stat(&H, STAT_XLATE_IN_FAST) - fast < 5ull * rep - 1) {
		fprintf(stderr, "inbound: not the reverse-session path\n");
		fail = 1;
	}
	fail |= time_repeat(b, bpf_program__fd(b->progs.bench_inside),
			    H.ifindex[H_INSIDE], &hp, XDP_REDIRECT, rep, &r[3]);
	fail |= time_fixed(bpf_program__fd(fwd->progs.xdp_fwd),
			   H.ifindex[H_OUTSIDE], &s, XDP_REDIRECT, runs, &r[4]);
	fail |= time_new_session(&s, runs / 4, &r[5]);
	fail |= time_new(H.prog[H_INSIDE], runs / 4, 0, &r[6]);
	fail |= time_new(bpf_program__fd(b->progs.bench_floor1), runs / 4, 0,
			 &r[9]);
	fail |= time_new(bpf_program__fd(b->progs.bench_floor3), runs / 4, 0,
			 &r[10]);
	fail |= time_new(bpf_program__fd(b->progs.bench_floor3a), runs / 4, 0,
			 &r[11]);
	fail |= time_new(H.prog[H_INSIDE], runs / 8, 1, &r[8]);
	fail |= time_quota(32 * 256, runs / 8, &r[12]);	/* max_blocks x size */
	fail |= time_flow_rate(runs / 8, &r[13]);
	bench_xdp_bpf__destroy(b);
	fail |= bench_sweep(&s, rep, sw, &r[7]);
	for (i = 0; i < 14; i++) {
		r[i].method = r[i].method ? r[i].method : "per-run median";
		r[i].delta = r[i].median - r[i < 4 || i == 7 ? 0 : 4].median;
	}
	print_table(r, 14, sw, 6);
	printf("\nnew mapping above the 3-insert floor (cgnat's own work): "
	       "%.0f ns\n", r[6].median - r[10].median);
	write_json(argv[1], r, 14, sw, 6);
	xdp_fwd_bpf__destroy(fwd);
	h_unload(&H);
	return fail;
}
