// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_sess.c - session events (log.session_events, cfg sess_events):
 * with the switch on, a new session raises exactly one EVT_SESS_CREATE
 * carrying its internal, external and remote endpoints, protocol, flags
 * and a TAI time taken at the packet; more packets of it raise nothing;
 * the sweep's expiry raises exactly one EVT_SESS_DELETE with the same
 * tuple; with the switch off neither is raised, and flipping it through
 * the config map (what a reload does) takes effect on the next session.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tests/bpf/nat_util.h"

struct sess_log {
	int n, other;
	struct cgnat_sess_event ev[32];
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct sess_log *l = ctx;
	const struct cgnat_event *e = data;

	assert_true(len >= sizeof(*e));
	if (e->type != EVT_SESS_CREATE && e->type != EVT_SESS_DELETE) {
		l->other++;
		return 0;
	}
	assert_int_equal(len, sizeof(struct cgnat_sess_event));
	if (l->n < 32)
		memcpy(&l->ev[l->n], data, sizeof(l->ev[0]));
	l->n++;
	return 0;
}

static void read_events(struct sess_log *l)
{
	struct ring_buffer *rb;

	memset(l, 0, sizeof(*l));
	rb = dp_events_rb(&H.dp, on_event, l);
	assert_non_null(rb);
	assert_true(ring_buffer__consume(rb) >= 0);
	ring_buffer__free(rb);
}

static uint64_t tai_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_TAI, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void set_events(int on)
{
	H.o.cfg.sess_events = on;
	assert_int_equal(dp_set_cfg(&H.dp, &H.o.cfg), 0);
}

static void expect_ev(const struct cgnat_sess_event *e, uint32_t type,
		      uint8_t proto, const char *in, uint16_t iport,
		      uint32_t ext, uint16_t eport, const char *rem,
		      uint16_t rport, uint8_t flags)
{
	assert_int_equal(e->type, type);
	assert_int_equal(e->proto, proto);
	assert_int_equal(e->int_addr, pkt_ip(in));
	assert_int_equal(ntohs(e->int_port), iport);
	assert_int_equal(e->ext_addr, ext);
	assert_int_equal(ntohs(e->ext_port), eport);
	assert_int_equal(e->rem_addr, pkt_ip(rem));
	assert_int_equal(ntohs(e->rem_port), rport);
	assert_int_equal(e->flags, flags);
	assert_int_equal(e->reason,
			 type == EVT_SESS_DELETE ? CGNAT_SESS_END_EXPIRED : 0);
	assert_int_equal(e->pad, 0);
}

static void test_off_raises_nothing(void **st)
{
	struct pkt_spec s = spec(17, H1, 5000, S1, 7, H_INSIDE);
	struct cgnat_sweep_args a = { 0 };
	struct sess_log l;
	uint32_t ext;

	(void)st;
	xlate_out(&s, &ext);
	read_events(&l);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.other, 1);	/* the block, as always */
	a.now_ns = h_now_ns() + 400 * 1000000000ull;
	assert_int_equal(dp_sweep(&H.dp, &a), 0);
	assert_int_equal(a.sessions_expired, 1);
	read_events(&l);
	assert_int_equal(l.n, 0);
	assert_int_equal(h_stat(&H, STAT_EVT_LOST), 0);
}

/* One create per session, every field right; repeats raise nothing. */
static void test_create_udp_tcp_icmp(void **st)
{
	struct pkt_spec u = spec(17, H1, 5000, S1, 7, H_INSIDE);
	struct pkt_spec u2 = spec(17, H1, 5000, S2, 9, H_INSIDE);
	struct pkt_spec t = spec(6, H1, 40001, S1, 80, H_INSIDE);
	struct pkt_spec i = spec(1, H2, 0x1234, S1, 0, H_INSIDE);
	uint32_t ext, ext2, exti;
	uint16_t p, p2, pt, pi;
	uint64_t t0, t1;
	struct sess_log l;

	(void)st;
	set_events(1);
	t0 = tai_ns();
	p = xlate_out(&u, &ext);
	t1 = tai_ns();
	read_events(&l);
	assert_int_equal(l.n, 1);
	expect_ev(&l.ev[0], EVT_SESS_CREATE, 17, H1, 5000, ext, p, S1, 7, 0);
	assert_true(l.ev[0].time_tai_ns >= t0 && l.ev[0].time_tai_ns <= t1);

	xlate_out(&u, &ext);		/* same session: nothing new */
	read_events(&l);
	assert_int_equal(l.n, 0);

	p2 = xlate_out(&u2, &ext2);	/* same mapping, new session */
	assert_int_equal(p2, p);
	pt = xlate_out(&t, &ext);
	pi = xlate_out(&i, &exti);
	read_events(&l);
	assert_int_equal(l.n, 3);
	expect_ev(&l.ev[0], EVT_SESS_CREATE, 17, H1, 5000, ext2, p, S2, 9, 0);
	expect_ev(&l.ev[1], EVT_SESS_CREATE, 6, H1, 40001, ext, pt, S1, 80,
		  0);
	expect_ev(&l.ev[2], EVT_SESS_CREATE, 1, H2, 0x1234, exti, pi, S1, 0,
		  0);
	assert_int_equal(h_stat(&H, STAT_NEW_SESSION), 4);
	assert_int_equal(h_stat(&H, STAT_EVT_LOST), 0);
}

/* A session an inbound packet made (EIF) says so in its flags. */
static void test_create_inbound(void **st)
{
	struct pkt_spec s = spec(17, H1, 5000, S1, 7, H_INSIDE), r;
	struct sess_log l;
	uint8_t out[512];
	size_t olen;
	uint32_t ext;
	uint16_t p;

	(void)st;
	p = xlate_out(&s, &ext);
	set_events(1);			/* on from here: a reload */
	read_events(&l);
	assert_int_equal(l.n, 0);
	r = spec(17, S2, 53, ip_str(ext, 0), p, H_OUTSIDE);
	assert_int_equal(run(H_OUTSIDE, &r, out, &olen), XDP_REDIRECT);
	read_events(&l);
	assert_int_equal(l.n, 1);
	expect_ev(&l.ev[0], EVT_SESS_CREATE, 17, H1, 5000, ext, p, S2, 53,
		  CGNAT_SF_INBOUND);
}

/* The sweep's expiry: one delete per session, after its timer, with the
 * tuple of its create, stamped when its timer ran out (not when the
 * sweep came); a sweep that expires nothing raises nothing. */
static void test_sweep_delete(void **st)
{
	struct pkt_spec u = spec(17, H1, 5000, S1, 7, H_INSIDE);
	struct pkt_spec t = spec(6, H1, 40001, S1, 80, H_INSIDE);
	struct cgnat_sweep_args a = { 0 };
	struct sess_log l;
	uint32_t ext, extt;
	uint16_t p, pt;
	uint64_t t0, t1;

	(void)st;
	set_events(1);
	p = xlate_out(&u, &ext);
	t0 = tai_ns();
	pt = xlate_out(&t, &extt);	/* a SYN: transitory, 240 s */
	t1 = tai_ns();
	read_events(&l);
	assert_int_equal(l.n, 2);
	a.now_ns = h_now_ns() + 100 * 1000000000ull;
	assert_int_equal(dp_sweep(&H.dp, &a), 0);
	read_events(&l);
	assert_int_equal(l.n, 0);
	a.now_ns = h_now_ns() + 250 * 1000000000ull;	/* TCP only */
	assert_int_equal(dp_sweep(&H.dp, &a), 0);
	assert_int_equal(a.sessions_expired, 1);
	read_events(&l);
	assert_int_equal(l.n, 1);
	expect_ev(&l.ev[0], EVT_SESS_DELETE, 6, H1, 40001, extt, pt, S1, 80,
		  0);
	/* 240 s and the second of refresh slack after the SYN (the
	 * packet clock is tick-coarse: 20 ms of room below).
	 */
	assert_true(l.ev[0].time_tai_ns >= t0 + 241000000000ull - 20000000 &&
		    l.ev[0].time_tai_ns <= t1 + 241000000000ull);
	a.now_ns = h_now_ns() + 310 * 1000000000ull;
	assert_int_equal(dp_sweep(&H.dp, &a), 0);
	read_events(&l);
	assert_int_equal(l.n, 1);
	expect_ev(&l.ev[0], EVT_SESS_DELETE, 17, H1, 5000, ext, p, S1, 7, 0);
	/* Switched off: the next expiry is not logged. */
	xlate_out(&u, &ext);
	set_events(0);
	read_events(&l);
	assert_int_equal(l.n, 1);	/* its create, raised while on */
	a.now_ns = h_now_ns() + 400 * 1000000000ull;
	assert_int_equal(dp_sweep(&H.dp, &a), 0);
	assert_int_equal(a.sessions_expired, 1);
	read_events(&l);
	assert_int_equal(l.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_off_raises_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_create_udp_tcp_icmp, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_create_inbound, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sweep_delete, setup,
						teardown),
	};

	if (h_netns())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
