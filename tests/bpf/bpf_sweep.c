// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_sweep.c - the sweep in steps (bpf/sweep.h, bpf/sweep_run.c): no
 * step reads more than one batch of CGNAT_SWEEP_CHUNK entries, however
 * large the tables; a session that a packet adds between two steps keeps
 * its mapping; and the judge decides on the tables' current values, not
 * on what the batch read saw.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/cgnat.skel.h"

#include "tests/bpf/nat_util.h"

#define SEC_NS 1000000000ull
#define FLOWS 600		/* mappings: 1200 entries, two batches */
#define FANOUT 1500		/* sessions of one more mapping */

static int sweep_setup(void **st)
{
	(void)st;
	return h_load_sized(&H, 1, 256, 8, 1, 4096, 64);
}

static void udp_out(uint16_t sport, const char *dst, uint16_t dport)
{
	struct pkt_spec s = spec(17, H1, sport, dst, dport, H_INSIDE);
	uint8_t out[512];
	size_t olen;

	assert_int_equal(run(H_INSIDE, &s, out, &olen), XDP_REDIRECT);
}

static void syn_out(uint16_t sport, const char *dst, uint16_t dport)
{
	struct pkt_spec s = spec(6, H1, sport, dst, dport, H_INSIDE);
	uint8_t out[512];
	size_t olen;

	s.tcp_flags = 0x02;
	assert_int_equal(run(H_INSIDE, &s, out, &olen), XDP_REDIRECT);
}

/* Opens TCP connection 't' (to S1:443): SYN out, SYN-ACK in, ACK out. */
static void tcp_open(struct pkt_spec *t)
{
	struct pkt_spec r;
	uint8_t out[512];
	size_t olen;
	uint32_t ext;
	uint16_t p;

	t->tcp_flags = 0x02;
	p = xlate_out(t, &ext);
	r = spec(6, S1, 443, ip_str(ext, 0), p, H_OUTSIDE);
	r.tcp_flags = 0x12;
	assert_int_equal(run(H_OUTSIDE, &r, out, &olen), XDP_REDIRECT);
	t->tcp_flags = 0x10;
	assert_int_equal(run(H_INSIDE, t, out, &olen), XDP_REDIRECT);
}

static int map_get_p(uint8_t proto, uint16_t sport, struct cgnat_map *m)
{
	struct cgnat_map_key k = { .addr = pkt_ip(H1), .port = htons(sport),
				   .proto = proto, .dir = CGNAT_DIR_OUT };

	return bpf_map_lookup_elem(bpf_map__fd(H.dp.skel->maps.cgnat_mappings),
				   &k, m);
}

static int map_get(uint16_t sport, struct cgnat_map *m)
{
	return map_get_p(17, sport, m);
}

/* 2100 sessions on 601 mappings: 600 UDP of one session each (sole),
 * one TCP of 1500 SYNs (shared); a first sweep sees them all and takes
 * none. Then a sweep 400 s on, stepped, its walk of the mappings forced:
 * the session pass deletes every session and with them the 600 sole
 * mappings; before the walk, a SYN adds a session to the shared mapping,
 * whose sessions were just deleted. The walk keeps it (a TCP mapping
 * lives by marks, and a packet's mark holds it for one walk).
 */
static void test_sweep_in_steps(void **st)
{
	struct cgnat_sweep_args a = { 0 };
	struct cgnat_map m;
	int steps = 0, rc, sent = 0;
	uint16_t i;

	(void)st;
	for (i = 0; i < FLOWS; i++)
		udp_out(10000 + i, S1, 7);
	for (i = 0; i < FANOUT; i++)
		syn_out(5000, S1, 1000 + i);
	assert_int_equal(map_get(10000, &m), 0);
	assert_int_equal(m.epoch, CGNAT_EPOCH_SOLE);
	assert_int_equal(map_get_p(6, 5000, &m), 0);
	assert_int_equal(m.epoch, CGNAT_EPOCH_IN_USE);
	assert_int_equal(dp_sweep(&H.dp, &a), 0);
	assert_int_equal(a.sessions_seen, FLOWS + FANOUT);
	assert_int_equal(a.sessions_expired, 0);
	assert_int_equal(a.mappings_seen, FLOWS + 1);
	assert_int_equal(a.mappings_expired, 0);

	H.dp.sw.map_every = 1;
	assert_int_equal(dp_sweep_begin(&H.dp, h_now_ns() + 400 * SEC_NS), 0);
	assert_int_equal(H.dp.sw.map_walk, 1);
	while ((rc = dp_sweep_step(&H.dp)) == 1) {
		steps++;
		if (H.dp.sw.pass == 2 && !sent) {
			sent = 1;
			assert_int_equal(H.dp.sw.a.sessions_seen,
					 FLOWS + FANOUT);
			assert_int_not_equal(map_get(10000, &m), 0);
			assert_int_equal(map_get_p(6, 5000, &m), 0);
			syn_out(5000, S2, 9);
		}
	}
	assert_int_equal(rc, 0);
	a = H.dp.sw.a;
	/* 2100 sessions: 3 batches; 2 mapping entries left: 1; the
	 * reverse entries only on the first pass after a load and every
	 * SWEEP_RSESS_CHECK-th (this is the second).
	 */
	assert_true(steps + 1 >= 4);
	assert_int_equal(sent, 1);
	assert_int_equal(a.sessions_expired, FLOWS + FANOUT);
	assert_int_equal(a.mappings_seen, 1);
	assert_int_equal(a.mappings_expired, FLOWS);
	assert_int_equal(a.mappings_sole, FLOWS);
	assert_int_equal(map_get_p(6, 5000, &m), 0);
	assert_int_equal(m.state, CGNAT_MAP_LIVE);
	assert_int_not_equal(map_get(10001, &m), 0);
	assert_int_equal(H.dp.v.subs[0].sessions, 1);
}

static void judge(__u32 op, __u32 n)
{
	struct cgnat_sweep_chunk ch = { .op = op, .n = n };
	LIBBPF_OPTS(bpf_test_run_opts, t, .ctx_in = &ch,
		    .ctx_size_in = sizeof(ch));

	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(
				 H.dp.skel->progs.cgnat_sweep_judge), &t), 0);
	assert_int_equal(t.retval, 0);
}

/* What the batch read saw only selects: a session it saw expired but
 * that a packet refreshed since stays (and marks its mapping); a mapping
 * it saw unmarked but marked since stays; a reverse entry it saw stale
 * but rewritten since stays, one still stale goes.
 */
static void test_judge_rechecks(void **st)
{
	struct cgnat_sweep_list *l = &H.dp.skel->bss->sweep_list;
	struct pkt_spec s = spec(17, H1, 5000, S1, 7, H_INSIDE), r;
	int fd_sess = bpf_map__fd(H.dp.skel->maps.cgnat_sessions);
	int fd_rev = bpf_map__fd(H.dp.skel->maps.cgnat_rsess);
	struct cgnat_sess_key sk = { .int_addr = pkt_ip(H1),
				     .rem_addr = pkt_ip(S1),
				     .int_port = htons(5000),
				     .rem_port = htons(7), .proto = 17 };
	struct cgnat_rsess_key rk;
	struct cgnat_rsess rv;
	struct cgnat_sess ss;
	struct cgnat_map m;
	uint32_t ext, epoch;
	uint16_t p;

	(void)st;
	p = xlate_out(&s, &ext);
	r = spec(17, S1, 7, ip_str(ext, 0), p, H_OUTSIDE);
	xlate_in(r, H1, 5000);	/* installs the reverse entry */
	udp_out(5000, S2, 9);	/* shared: marks, not the sole rule */
	memset(&rk, 0, sizeof(rk));
	rk.ext_addr = ext;
	rk.rem_addr = pkt_ip(S1);
	rk.ext_port = htons(p);
	rk.rem_port = htons(7);
	rk.proto = 17;
	assert_int_equal(bpf_map_lookup_elem(fd_rev, &rk, &rv), 0);
	assert_int_equal(dp_sweep(&H.dp, &(struct cgnat_sweep_args){ 0 }), 0);
	assert_int_equal(map_get(5000, &m), 0);	/* born in use: marked */
	assert_int_not_equal(m.epoch, CGNAT_EPOCH_IN_USE);

	assert_int_equal(dp_sweep_begin(&H.dp, 0), 0);
	epoch = H.dp.sw.st.epoch;
	assert_int_not_equal(m.epoch, epoch);
	l->sess[0] = sk;	/* "seen expired": it is not */
	judge(CGNAT_SWEEP_EXPIRE, 1);
	assert_int_equal(bpf_map_lookup_elem(fd_sess, &sk, &ss), 0);
	assert_int_equal(map_get(5000, &m), 0);
	assert_int_equal(m.epoch, epoch);

	memset(&l->map[0], 0, sizeof(l->map[0]));	/* "seen unmarked" */
	l->map[0].addr = pkt_ip(H1);
	l->map[0].port = htons(5000);
	l->map[0].proto = 17;
	judge(CGNAT_SWEEP_MAPPING, 1);
	assert_int_equal(map_get(5000, &m), 0);

	l->rsess[0].k = rk;	/* seen stale (expired), sound now */
	l->rsess[0].v = rv;
	l->rsess[0].v.expires_ns = 1;
	judge(CGNAT_SWEEP_RSESS, 1);
	assert_int_equal(bpf_map_lookup_elem(fd_rev, &rk, &rv), 0);
	rv.int_port = htons(5001);	/* stale now too: no such session */
	assert_int_equal(bpf_map_update_elem(fd_rev, &rk, &rv, BPF_EXIST), 0);
	l->rsess[0].v = rv;
	judge(CGNAT_SWEEP_RSESS, 1);
	assert_int_not_equal(bpf_map_lookup_elem(fd_rev, &rk, &rv), 0);
	assert_int_equal(H.dp.skel->bss->sweep_state.a.rsess_deleted, 1);
	assert_int_equal(H.dp.skel->bss->sweep_state.a.sessions_expired, 0);
	assert_int_equal(H.dp.skel->bss->sweep_state.a.mappings_expired, 0);
}

/* Both halves of H1:sport's mapping get flags and a PCP end (s). */
static void pcp_mark(uint16_t sport, uint16_t flags, uint32_t until_s)
{
	int fd = bpf_map__fd(H.dp.skel->maps.cgnat_mappings);
	int fi = bpf_map__fd(H.dp.skel->maps.cgnat_map_in);
	struct cgnat_map_key ok = { .addr = pkt_ip(H1), .port = htons(sport),
				    .proto = 17, .dir = CGNAT_DIR_OUT };
	struct cgnat_map_key ik = { .proto = 17, .dir = CGNAT_DIR_IN };
	struct cgnat_map_in iv;
	struct cgnat_map ov;

	assert_int_equal(bpf_map_lookup_elem(fd, &ok, &ov), 0);
	ik.addr = ov.addr;
	ik.port = ov.port;
	assert_int_equal(bpf_map_lookup_elem(fi, &ik, &iv), 0);
	ov.flags = iv.flags = flags;
	ov.pcp_until_s = iv.pcp_until_s = until_s;
	assert_int_equal(bpf_map_update_elem(fi, &ik, &iv, BPF_EXIST), 0);
	assert_int_equal(bpf_map_update_elem(fd, &ok, &ov, BPF_EXIST), 0);
}

/* A PCP mapping (daemon/pcp_dp.c writes them so): under address-and-
 * port-dependent filtering a MAP (PCP_IN) admits a new remote while its
 * lifetime runs, a PEER (PCP alone) does not; the sweep keeps it without
 * sessions until its end and takes it after, as an idle mapping.
 */
static void test_pcp_mapping(void **st)
{
	struct pkt_spec s = spec(17, H1, 5000, S1, 7, H_INSIDE), r;
	uint32_t now_s = h_now_ns() / SEC_NS, ext;
	struct cgnat_map m;
	uint8_t out[512];
	size_t olen;
	uint16_t p;
	int i;

	(void)st;
	H.o.cfg.filtering = CGNAT_FILTER_APDF;
	assert_int_equal(dp_set_cfg(&H.dp, &H.o.cfg), 0);
	p = xlate_out(&s, &ext);
	r = spec(17, S2, 9, ip_str(ext, 0), p, H_OUTSIDE);
	assert_int_equal(run(H_OUTSIDE, &r, out, &olen), XDP_DROP);
	pcp_mark(5000, CGNAT_MAP_PCP, now_s + 1000);	/* a PEER */
	assert_int_equal(run(H_OUTSIDE, &r, out, &olen), XDP_DROP);
	pcp_mark(5000, CGNAT_MAP_PCP | CGNAT_MAP_PCP_IN, now_s + 1000);
	assert_int_equal(run(H_OUTSIDE, &r, out, &olen), XDP_REDIRECT);
	r = spec(17, S1, 10, ip_str(ext, 0), p, H_OUTSIDE);
	assert_int_equal(run(H_OUTSIDE, &r, out, &olen), XDP_REDIRECT);

	/* 400 s on: every session expired, the mapping held by PCP. */
	assert_int_equal(dp_sweep(&H.dp, &(struct cgnat_sweep_args){
			.now_ns = h_now_ns() + 400 * SEC_NS }), 0);
	assert_int_equal(H.dp.sw.a.sessions_expired, 3);
	assert_int_equal(map_get(5000, &m), 0);
	assert_int_equal(H.dp.sw.a.mappings_expired, 0);
	/* An ended lifetime: after at most two walks of the mappings
	 * (SWEEP_MAP_EVERY passes apart at most), gone.
	 */
	pcp_mark(5000, CGNAT_MAP_PCP | CGNAT_MAP_PCP_IN, now_s - 1);
	r = spec(17, S2, 11, ip_str(ext, 0), p, H_OUTSIDE);
	assert_int_equal(run(H_OUTSIDE, &r, out, &olen), XDP_DROP);
	for (i = 0; i < 2 * SWEEP_MAP_EVERY && !map_get(5000, &m); i++)
		assert_int_equal(dp_sweep(&H.dp, &(struct cgnat_sweep_args){
				.now_ns = h_now_ns() + 500 * SEC_NS }), 0);
	assert_int_not_equal(map_get(5000, &m), 0);
}

/* Established TCP sessions keep their mappings through sweep after sweep:
 * a TCP mapping lives only by the marks its live sessions give it in each
 * pass (its bound says nothing once a FIN may have shortened a timer), and
 * the pass remembers what it marked (sweep_run.c mark_seen), so a mapping
 * with many sessions, read in hash order, must still be marked in every
 * pass, not only in the first one that remembered it.
 */
static void test_tcp_marks(void **st)
{
	enum { MAPS = 24, PER = 20 };
	struct pkt_spec t, r;
	struct cgnat_map m;
	uint8_t out[512];
	size_t olen;
	uint32_t ext;
	uint16_t p, i, j;
	int pass;

	(void)st;
	for (i = 0; i < MAPS; i++)
		for (j = 0; j < PER; j++) {
			t = spec(6, H1, 30000 + i, S1, 1000 + j, H_INSIDE);
			t.tcp_flags = 0x02;
			p = xlate_out(&t, &ext);
			r = spec(6, S1, 1000 + j, ip_str(ext, 0), p,
				 H_OUTSIDE);
			r.tcp_flags = 0x12;
			assert_int_equal(run(H_OUTSIDE, &r, out, &olen),
					 XDP_REDIRECT);
			t.tcp_flags = 0x10;
			assert_int_equal(run(H_INSIDE, &t, out, &olen),
					 XDP_REDIRECT);
		}
	for (pass = 0; pass < 4; pass++) {
		assert_int_equal(dp_sweep(&H.dp, &(struct cgnat_sweep_args){
				.now_ns = h_now_ns() + 600 * SEC_NS }), 0);
		assert_int_equal(H.dp.sw.a.sessions_expired, 0);
		assert_int_equal(H.dp.sw.a.mappings_expired, 0);
	}
	for (i = 0; i < MAPS; i++) {
		assert_int_equal(map_get_p(6, 30000 + i, &m), 0);
		assert_int_equal(m.state, CGNAT_MAP_LIVE);
	}
	/* Then their sessions end: the next passes take the mappings. */
	for (pass = 0; pass < 2; pass++)
		assert_int_equal(dp_sweep(&H.dp, &(struct cgnat_sweep_args){
				.now_ns = h_now_ns() + 8000 * SEC_NS }), 0);
	assert_int_equal(H.dp.v.subs[0].sessions, 0);
	for (i = 0; i < MAPS; i++)
		assert_int_not_equal(map_get_p(6, 30000 + i, &m), 0);
}

/* Each pass counts the tables first: a table counted empty is not
 * walked; a sparse one is read in short reads (here one entry asked for,
 * doubled whenever a bucket holds more), which see and expire the same.
 * Without counts (an older kernel) reads are of 1024 entries.
 */
#define SPARSE 300

static void test_sparse_reads(void **st)
{
	struct dp_sweep *sw = &H.dp.sw;
	struct cgnat_sweep_args a = { 0 };
	uint16_t i;
	int rc;

	(void)st;
	assert_int_equal(dp_sweep(&H.dp, &a), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(sw->st.entries[i], 0);
	assert_int_equal(sw->reads, 0);
	assert_int_equal(sw->buckets, 0);

	for (i = 0; i < SPARSE; i++)
		udp_out(10000 + i, S1, 7);
	sw->read_buckets = 1;
	sw->map_every = 1;	/* walk the mappings in this pass */
	assert_int_equal(dp_sweep(&H.dp, &a), 0);
	assert_int_equal(sw->st.entries[0], SPARSE);
	assert_int_equal(sw->st.entries[1], SPARSE);	/* outbound halves */
	assert_int_equal(a.sessions_seen, SPARSE);
	assert_int_equal(a.mappings_seen, SPARSE);
	assert_true(sw->reads > 100);	/* one read of each: 2 */
	assert_true(sw->regrown > 0);	/* some bucket held two */
	assert_true(sw->buckets > 0);

	/* A kernel without the counts (-1): reads of 1024, as before. */
	sw->map_every = 1;
	assert_int_equal(dp_sweep_begin(&H.dp, 0), 0);
	for (i = 0; i < 3; i++)
		sw->st.entries[i] = -1;
	while ((rc = dp_sweep_step(&H.dp)) == 1)
		;
	assert_int_equal(rc, 0);
	assert_int_equal(sw->a.sessions_seen, SPARSE);
	assert_int_equal(sw->reads, 2);	/* sessions, mappings: one each */

	assert_int_equal(dp_sweep_begin(&H.dp, h_now_ns() + 400 * SEC_NS), 0);
	while ((rc = dp_sweep_step(&H.dp)) == 1)
		;
	assert_int_equal(rc, 0);
	assert_int_equal(sw->a.sessions_expired, SPARSE);
	assert_int_equal(sw->a.mappings_expired, SPARSE);
	assert_int_equal(sw->a.mappings_sole, SPARSE);

	assert_int_equal(dp_sweep(&H.dp, &a), 0);
	assert_int_equal(sw->st.entries[0], 0);
	assert_int_equal(sw->st.entries[1], 0);
	assert_int_equal(sw->reads, 0);
}

/* Runs one pass; returns whether it walked the reverse entries. */
static int pass_walks(struct cgnat_sweep_args *a)
{
	assert_int_equal(dp_sweep(&H.dp, a), 0);
	return H.dp.sw.rsess_walked;
}

/* Walks of the reverse entries that free hardly anything come less
 * often: every 8th pass, then 16th, 32nd, up to the full check's 64th;
 * one that frees leftovers brings them back to every 8th.
 */
static void test_rsess_walks_adapt(void **st)
{
	int fd = bpf_map__fd(H.dp.skel->maps.cgnat_rsess);
	struct dp_sweep *sw = &H.dp.sw;
	struct cgnat_sweep_args a = { 0 };
	struct cgnat_rsess_key k = { .proto = 17 };
	struct cgnat_rsess v = { .expires_ns = 1 };	/* long expired */
	unsigned p;

	(void)st;
	assert_true(pass_walks(&a));	/* the first: a full check */
	assert_int_equal(sw->rsess_every, 16);
	for (p = 1; p < 16; p++)
		assert_false(pass_walks(&a));
	assert_true(pass_walks(&a));	/* the 16th frees nothing */
	assert_int_equal(sw->rsess_every, 32);
	/* Ten leftovers: no session has them. */
	for (p = 0; p < 10; p++) {
		k.ext_addr = htonl(0xcb007101);
		k.rem_addr = htonl(0xc6336400 + p);
		k.ext_port = htons(2000 + p);
		k.rem_port = htons(53);
		assert_int_equal(bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST),
				 0);
	}
	for (p = 17; p < 32; p++) {
		assert_false(pass_walks(&a));
		assert_int_equal(sw->st.entries[2], 10);
	}
	assert_true(pass_walks(&a));	/* the 32nd frees all ten */
	assert_int_equal(a.rsess_deleted, 10);
	assert_int_equal(sw->rsess_every, 8);
	for (p = 33; p < 40; p++)
		assert_false(pass_walks(&a));
	assert_true(pass_walks(&a));
	assert_int_equal(a.rsess_deleted, 0);
	assert_int_equal(sw->rsess_every, 16);
	for (p = 41; p < 48; p++)
		assert_false(pass_walks(&a));
	assert_true(pass_walks(&a));	/* 48: every 16th */
	assert_int_equal(sw->rsess_every, 32);
	for (p = 49; p < 64; p++)
		assert_false(pass_walks(&a));
	assert_true(pass_walks(&a));	/* 64: the full check */
	assert_int_equal(sw->rsess_every, 64);
	for (p = 65; p < 128; p++)
		assert_false(pass_walks(&a));
	assert_true(pass_walks(&a));	/* 128: the full check stays */
	assert_int_equal(sw->rsess_every, 64);
}

/* Session H1:sport -> dst:dport of 'proto' gets expiry 'exp'. */
static void sess_set_expiry(uint8_t proto, uint16_t sport, const char *dst,
			    uint16_t dport, uint64_t exp)
{
	int fd = bpf_map__fd(H.dp.skel->maps.cgnat_sessions);
	struct cgnat_sess_key k = { .int_addr = pkt_ip(H1),
				    .rem_addr = pkt_ip(dst),
				    .int_port = htons(sport),
				    .rem_port = htons(dport), .proto = proto };
	struct cgnat_sess v;

	assert_int_equal(bpf_map_lookup_elem(fd, &k, &v), 0);
	v.expires_ns = exp;
	assert_int_equal(bpf_map_update_elem(fd, &k, &v, BPF_EXIST), 0);
	assert_int_equal(h_due_note(&H, &k, exp), 0);	/* as a FIN would */
}

/* A sweep 'plus_s' on that walks the mappings (walk 1) or not (0). */
static struct cgnat_sweep_args sweep_walk(uint64_t plus_s, int walk)
{
	/* map_every 1 walks every pass; SWEEP_MAP_EVERY with a pass
	 * count that is not a multiple of it walks none.
	 */
	H.dp.sw.map_every = walk ? 1 : SWEEP_MAP_EVERY;
	if (!walk && H.dp.sw.passes % SWEEP_MAP_EVERY == 0)
		H.dp.sw.passes++;
	assert_int_equal(dp_sweep_begin(&H.dp, h_now_ns() + plus_s * SEC_NS),
			 0);
	assert_int_equal(H.dp.sw.map_walk, walk);
	while (dp_sweep_step(&H.dp) == 1)
		;
	return H.dp.sw.a;
}

/* A mapping made with its session and never given another goes with that
 * session, in a pass that does not walk the mappings: UDP at its timer
 * (its block stamped with the session's end, not the sweep's time), TCP
 * after a RST (the transitory timer, long before its bound).
 */
static void test_sole_goes_with_session(void **st)
{
	struct pkt_spec t = spec(6, H1, 41000, S1, 443, H_INSIDE);
	uint64_t off, want, got, end;
	struct cgnat_sweep_args a;
	struct cgnat_map m;
	uint8_t out[512];
	size_t olen;
	uint32_t id;

	(void)st;
	udp_out(5000, S1, 7);
	assert_int_equal(map_get(5000, &m), 0);
	assert_int_equal(m.epoch, CGNAT_EPOCH_SOLE);
	assert_int_equal(m.sole_tag, cgnat_sole_tag(pkt_ip(S1), htons(7)));
	tcp_open(&t);
	/* A second UDP flow ends 10 s after its birth: its block's last
	 * use is then, not the sweep's time (20 s on).
	 */
	udp_out(5001, S1, 7);
	assert_int_equal(map_get(5001, &m), 0);
	id = (ntohs(m.port) - 1024) / 256;
	end = m.created_ns + 10 * SEC_NS;
	sess_set_expiry(17, 5001, S1, 7, end);
	a = sweep_walk(20, 0);
	assert_int_equal(a.mappings_sole, 1);
	assert_int_not_equal(map_get(5001, &m), 0);
	off = h_tai_off_ns();
	want = end + off;
	got = H.dp.v.blocks[id].last_use_tai_ns;
	assert_true(got + 5000000 > want && got < want + 5000000);

	a = sweep_walk(600, 0);	/* UDP's 300 s ran out; TCP established */
	assert_int_equal(a.sessions_expired, 1);
	assert_int_equal(a.mappings_sole, 1);
	assert_int_equal(a.mappings_expired, 1);
	assert_int_not_equal(map_get(5000, &m), 0);
	assert_int_equal(map_get_p(6, 41000, &m), 0);

	t.tcp_flags = 0x14;	/* RST: the transitory timer */
	assert_int_equal(run(H_INSIDE, &t, out, &olen), XDP_REDIRECT);
	a = sweep_walk(300, 0);
	assert_int_equal(a.sessions_expired, 1);
	assert_int_equal(a.mappings_sole, 1);
	assert_int_not_equal(map_get_p(6, 41000, &m), 0);
	assert_int_equal(H.dp.v.subs[0].sessions, 0);
}

/* What the sole rule must not take. A mapping given a second session
 * (any packet that adds one exchanges the mark) stays while that one
 * lives, its first session gone; the walk takes it after. And a sole
 * mapping stays when the expired session is not the one it was made
 * for: another remote (sole_tag), an end before its birth
 * (CGNAT_SOLE_MIN_NS: a stale session of an earlier mapping of the same
 * endpoint), or a PCP hold; the walk takes those by their bound.
 */
static void test_sole_guards(void **st)
{
	int fd = bpf_map__fd(H.dp.skel->maps.cgnat_mappings);
	struct cgnat_map_key ok = { .addr = pkt_ip(H1), .proto = 17,
				    .dir = CGNAT_DIR_OUT };
	struct cgnat_sweep_args a;
	struct cgnat_map m;
	uint16_t sp;

	(void)st;
	udp_out(5000, S1, 7);
	udp_out(5000, S2, 9);	/* shared */
	assert_int_equal(map_get(5000, &m), 0);
	assert_int_equal(m.epoch, CGNAT_EPOCH_IN_USE);
	/* Each expired session below ends 2 s after its mapping's birth
	 * (so the birth check alone would let the rule take them).
	 */
	sess_set_expiry(17, 5000, S1, 7, m.created_ns + 2 * SEC_NS);
	a = sweep_walk(5, 1);
	assert_int_equal(a.sessions_expired, 1);
	assert_int_equal(a.mappings_expired, 0);
	assert_int_equal(map_get(5000, &m), 0);
	assert_int_equal(m.state, CGNAT_MAP_LIVE);

	for (sp = 6001; sp <= 6003; sp++) {
		udp_out(sp, S1, 7);
		ok.port = htons(sp);
		assert_int_equal(bpf_map_lookup_elem(fd, &ok, &m), 0);
		if (sp == 6001)
			m.sole_tag ^= 1;
		else if (sp == 6003) {
			m.flags |= CGNAT_MAP_PCP;
			m.pcp_until_s = 1;	/* its lifetime ended */
		}
		assert_int_equal(bpf_map_update_elem(fd, &ok, &m, BPF_EXIST),
				 0);
		/* 6002's ends half a second after its mapping's birth. */
		sess_set_expiry(17, sp, S1, 7, m.created_ns + (sp == 6002 ?
				SEC_NS / 2 : 2 * SEC_NS));
	}
	a = sweep_walk(5, 0);
	assert_int_equal(a.sessions_expired, 3);
	assert_int_equal(a.mappings_expired, 0);
	for (sp = 6001; sp <= 6003; sp++)
		assert_int_equal(map_get(sp, &m), 0);
	/* 400 s on, past every bound: the walk takes all four. */
	a = sweep_walk(400, 1);
	assert_int_equal(a.mappings_sole, 0);
	assert_int_equal(a.mappings_expired, 4);
	assert_int_equal(H.dp.v.subs[0].sessions, 0);
}

/* The key of session H1:sport -> dst:dport of 'proto'. */
static struct cgnat_sess_key skey(uint8_t proto, uint16_t sport,
				  const char *dst, uint16_t dport)
{
	struct cgnat_sess_key k = { .int_addr = pkt_ip(H1),
				    .rem_addr = pkt_ip(dst),
				    .int_port = htons(sport),
				    .rem_port = htons(dport), .proto = proto,
				    .kind = CGNAT_SK_FLOW };
	return k;
}

/* The due index's slot naming 'k', or NULL. */
static struct cgnat_due_slot *due_find(const struct cgnat_sess_key *k)
{
	__u32 nb = bpf_map__max_entries(H.dp.skel->maps.cgnat_sess_due), j;
	struct cgnat_due *b = &H.dp.v.due[cgnat_due_bucket(k, nb)];

	for (j = 0; j < CGNAT_DUE_WAYS; j++)
		if (cgnat_sess_key_eq(&b->s[j].k, k))
			return &b->s[j];
	return NULL;
}

static int sess_get(const struct cgnat_sess_key *k, struct cgnat_sess *v)
{
	return bpf_map_lookup_elem(bpf_map__fd(H.dp.skel->maps.cgnat_sessions),
				   k, v);
}

/* Enough sessions for a pass to read the index rather than them
 * (SWEEP_DUE_MIN: the harness's 4096 sessions make 2731 buckets).
 */
#define DUE_FLOWS 200

/* The due index (sweep.h): every session a packet makes is logged by the
 * data plane, and named in the index with its expiry once cgnatd drains
 * the log; and a pass without a walk of the mappings reads no
 * session, only the index: it names nothing before a due, and the
 * sessions whose due came after; of those, it deletes the expired and
 * raises the due of one refreshed since (a refresh writes no due). A
 * session the index left out (a full bucket) waits for the next full
 * read, which deletes it when expired and indexes it when live.
 */
static void test_due_index(void **st)
{
	struct cgnat_sess_key k0 = skey(17, 20000, S1, 7),
			      k1 = skey(17, 20001, S1, 7), k;
	struct dp_sweep *sw = &H.dp.sw;
	struct cgnat_due_slot *d;
	struct cgnat_sweep_args a;
	struct cgnat_sess v;
	uint64_t later;
	uint16_t i;

	(void)st;
	for (i = 0; i < DUE_FLOWS; i++)
		udp_out(20000 + i, S1, 7);
	/* Logged by the data plane, in the index once cgnatd drains. */
	assert_null(due_find(&k0));
	assert_int_equal(dp_due_drain(&H.dp), 0);
	assert_int_equal(sw->due_logged, DUE_FLOWS);
	assert_int_equal(sw->due_lost, 0);
	for (i = 0; i < DUE_FLOWS; i++) {
		k = skey(17, 20000 + i, S1, 7);
		assert_int_equal(sess_get(&k, &v), 0);
		d = due_find(&k);
		assert_non_null(d);
		assert_int_equal(d->due, v.expires_ns >> CGNAT_DUE_SHIFT);
	}
	a = sweep_walk(0, 0);
	assert_true(sw->by_due);
	assert_int_equal(sw->reads, 0);	/* no batch read */
	assert_int_equal(a.sessions_seen, DUE_FLOWS);
	assert_int_equal(sw->due_named, 0);
	assert_int_equal(a.sessions_expired, 0);
	/* After user space put sessions in (HA going active), the next
	 * pass reads every session, though it does not walk; the one
	 * after reads the index again.
	 */
	sw->read_all = 1;
	a = sweep_walk(0, 0);
	assert_false(sw->by_due);
	assert_int_equal(a.sessions_seen, DUE_FLOWS);
	a = sweep_walk(0, 0);
	assert_true(sw->by_due);

	/* k0 refreshed (its expiry raised, its due not); k1 left out. */
	later = h_now_ns() + 1000 * SEC_NS;
	assert_int_equal(sess_get(&k0, &v), 0);
	v.expires_ns = later;
	assert_int_equal(bpf_map_update_elem(
		bpf_map__fd(H.dp.skel->maps.cgnat_sessions), &k0, &v,
		BPF_EXIST), 0);
	due_find(&k1)->k.int_addr = 0;
	a = sweep_walk(400, 0);
	assert_true(sw->by_due);
	assert_int_equal(sw->reads, 0);
	assert_int_equal(sw->due_named, DUE_FLOWS - 1);
	assert_int_equal(a.sessions_expired, DUE_FLOWS - 2);
	assert_int_equal(sess_get(&k0, &v), 0);
	assert_int_equal(due_find(&k0)->due, later >> CGNAT_DUE_SHIFT);
	assert_int_equal(sess_get(&k1, &v), 0);	/* absent to packets */
	assert_null(due_find(&k1));
	k = skey(17, 20002, S1, 7);
	assert_null(due_find(&k));	/* its session gone, so its slot */

	/* The full read: k1 goes, k0 stays and keeps its slot. */
	a = sweep_walk(400, 1);
	assert_int_equal(a.sessions_expired, 1);
	assert_int_not_equal(sess_get(&k1, &v), 0);
	assert_int_equal(sess_get(&k0, &v), 0);
	assert_int_equal(sw->due_indexed, 0);
	/* And indexes a live session the index lost. */
	due_find(&k0)->k.int_addr = 0;
	a = sweep_walk(0, 1);
	assert_int_equal(sw->due_indexed, 1);
	assert_non_null(due_find(&k0));
	assert_int_equal(due_find(&k0)->due, later >> CGNAT_DUE_SHIFT);
}

/* A timer a TCP state change shortens is named again (bpf/due.h): an
 * established connection, its due raised to the 2 h 4 min timer by a
 * pass that found it live, is reset; the next pass without a walk finds
 * it once the transitory timer ran out.
 */
static void test_due_shortened(void **st)
{
	struct pkt_spec t = spec(6, H1, 42000, S1, 443, H_INSIDE);
	struct cgnat_sess_key k = skey(6, 42000, S1, 443);
	struct cgnat_sweep_args a;
	struct cgnat_sess v;
	uint8_t out[512];
	size_t olen;
	uint16_t p;

	(void)st;
	for (p = 0; p < DUE_FLOWS; p++)	/* so that passes read the index */
		udp_out(20000 + p, S1, 7);
	tcp_open(&t);
	a = sweep_walk(400, 0);	/* past its SYN's due: found live */
	assert_true(H.dp.sw.by_due);
	assert_int_equal(a.sessions_expired, DUE_FLOWS);	/* UDP's */
	assert_int_equal(H.dp.sw.due_named, DUE_FLOWS + 1);
	assert_int_equal(sess_get(&k, &v), 0);
	assert_int_equal(due_find(&k)->due, v.expires_ns >> CGNAT_DUE_SHIFT);

	t.tcp_flags = 0x14;	/* RST: the transitory timer */
	assert_int_equal(run(H_INSIDE, &t, out, &olen), XDP_REDIRECT);
	assert_int_equal(dp_due_drain(&H.dp), 0);
	assert_int_equal(sess_get(&k, &v), 0);
	assert_int_equal(due_find(&k)->due, v.expires_ns >> CGNAT_DUE_SHIFT);
	for (p = 0; p < DUE_FLOWS; p++)
		udp_out(21000 + p, S1, 7);
	a = sweep_walk(400, 0);
	assert_true(H.dp.sw.by_due);
	assert_int_equal(a.sessions_expired, DUE_FLOWS + 1);
	assert_int_not_equal(sess_get(&k, &v), 0);
}

/* Runs one pass; returns whether it walked the mappings. */
static int pass_walks_maps(struct cgnat_sweep_args *a)
{
	assert_int_equal(dp_sweep(&H.dp, a), 0);
	return H.dp.sw.map_walk;
}

/* Walks of the mappings that free hardly anything come less often: every
 * pass, then every 2nd, 4th, 8th (SWEEP_MAP_EVERY); sole mappings go with
 * their sessions, not by the walk. One that frees shared mappings (more
 * than one in SWEEP_MAP_FREED of those it read) brings them back to
 * every pass; meanwhile a pass without one leaves them.
 */
static void test_map_walks_adapt(void **st)
{
	struct dp_sweep *sw = &H.dp.sw;
	struct cgnat_sweep_args a = { 0 };
	struct cgnat_map m;
	unsigned p;
	uint16_t i;

	(void)st;
	assert_true(pass_walks_maps(&a));	/* pass 0 */
	assert_int_equal(sw->map_every, 2);
	assert_false(pass_walks_maps(&a));
	assert_true(pass_walks_maps(&a));	/* 2 */
	assert_int_equal(sw->map_every, 4);
	assert_false(pass_walks_maps(&a));
	assert_true(pass_walks_maps(&a));	/* 4 */
	assert_int_equal(sw->map_every, 8);
	for (p = 5; p < 8; p++)
		assert_false(pass_walks_maps(&a));
	for (i = 0; i < 10; i++) {	/* ten shared, ten sole */
		udp_out(7000 + i, S1, 7);
		udp_out(7000 + i, S2, 9);
		udp_out(8000 + i, S1, 7);
	}
	a.now_ns = h_now_ns() + 400 * SEC_NS;
	assert_true(pass_walks_maps(&a));	/* 8: frees all twenty */
	assert_int_equal(a.sessions_expired, 30);
	assert_int_equal(a.mappings_sole, 10);
	assert_int_equal(a.mappings_expired, 20);
	assert_int_equal(sw->map_every, 1);
	for (i = 0; i < 10; i++) {
		udp_out(7000 + i, S1, 7);
		udp_out(7000 + i, S2, 9);
	}
	a.now_ns = 0;
	assert_true(pass_walks_maps(&a));	/* 9: frees none */
	assert_int_equal(sw->map_every, 2);
	assert_true(pass_walks_maps(&a));	/* 10 */
	assert_int_equal(sw->map_every, 4);
	/* Pass 11 does not walk: the shared mappings' sessions go, the
	 * mappings wait for the next walk (12).
	 */
	a.now_ns = h_now_ns() + 400 * SEC_NS;
	assert_false(pass_walks_maps(&a));
	assert_int_equal(a.sessions_expired, 20);
	assert_int_equal(a.mappings_expired, 0);
	assert_int_equal(map_get(7000, &m), 0);
	assert_true(pass_walks_maps(&a));
	assert_int_equal(a.mappings_expired, 10);
	assert_int_not_equal(map_get(7000, &m), 0);
}

/* A list longer than the chunk is refused, not read past its end. */
static void test_judge_bounds(void **st)
{
	struct cgnat_sweep_chunk ch = { .op = CGNAT_SWEEP_EXPIRE,
					.n = CGNAT_SWEEP_CHUNK + 1 };
	LIBBPF_OPTS(bpf_test_run_opts, t, .ctx_in = &ch,
		    .ctx_size_in = sizeof(ch));

	(void)st;
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(
				 H.dp.skel->progs.cgnat_sweep_judge), &t), 0);
	assert_int_not_equal(t.retval, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sweep_in_steps,
						sweep_setup, teardown),
		cmocka_unit_test_setup_teardown(test_judge_rechecks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_judge_bounds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pcp_mapping, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tcp_marks, sweep_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sparse_reads, sweep_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rsess_walks_adapt,
						sweep_setup, teardown),
		cmocka_unit_test_setup_teardown(test_sole_goes_with_session,
						sweep_setup, teardown),
		cmocka_unit_test_setup_teardown(test_sole_guards, sweep_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_due_index, sweep_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_due_shortened,
						sweep_setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_walks_adapt,
						sweep_setup, teardown),
	};

	if (h_netns())
		return 1;
	return cmocka_run_group_tests_name("bpf_sweep", tests, NULL, NULL);
}
