// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_expiry.c - expiry without the sweep (cgnat_abi.h, nat.h, pba.h):
 * an expired session or a mapping past its bound is absent to every
 * lookup before any sweep comes (outbound, inbound, hairpin, ICMP
 * errors); nothing expires before its timer (the RFC floors); a
 * subscriber whose blocks look full reclaims its own expired mappings
 * instead of failing or taking a block; a deleted mapping stamps its
 * block's last use with when it ended.
 *
 * "Expired" is made by writing an expiry in the past into the maps: the
 * packet path reads the real clock, which a test cannot move.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/cgnat.skel.h"

#include "tests/bpf/nat_util.h"

#define SEC_NS 1000000000ull
#define PAST_NS (200 * 1000000ull) /* well behind the packet clock */

static int fd_of(struct bpf_map *m)
{
	return bpf_map__fd(m);
}

/* Sets the session's expiry (and its reverse entry's, which never
 * outlives it) to 'exp'.
 */
static void sess_expire(uint8_t proto, const char *h, uint16_t hp,
			const char *r, uint16_t rp, uint64_t exp)
{
	int fs = fd_of(H.dp.skel->maps.cgnat_sessions);
	int fr = fd_of(H.dp.skel->maps.cgnat_rsess);
	struct cgnat_sess_key k = { .int_addr = pkt_ip(h), .rem_addr = pkt_ip(r),
				    .int_port = htons(hp),
				    .rem_port = proto == 1 ? 0 : htons(rp),
				    .proto = proto };
	struct cgnat_rsess_key rk = { 0 }, *prev = NULL, next;
	struct cgnat_rsess rv;
	struct cgnat_sess s;

	assert_int_equal(bpf_map_lookup_elem(fs, &k, &s), 0);
	s.expires_ns = exp;
	assert_int_equal(bpf_map_update_elem(fs, &k, &s, BPF_EXIST), 0);
	assert_int_equal(h_due_note(&H, &k, exp), 0);	/* as a FIN would */
	while (!bpf_map_get_next_key(fr, prev, &next)) {
		if (!bpf_map_lookup_elem(fr, &next, &rv) &&
		    rv.int_addr == k.int_addr && rv.int_port == k.int_port &&
		    rv.expires_ns > exp) {
			rv.expires_ns = exp;
			bpf_map_update_elem(fr, &next, &rv, BPF_EXIST);
		}
		rk = next;
		prev = &rk;
	}
}

static void map_get(uint8_t proto, const char *h, uint16_t hp,
		    struct cgnat_map *m)
{
	struct cgnat_map_key k = { .addr = pkt_ip(h), .port = htons(hp),
				   .proto = proto, .dir = CGNAT_DIR_OUT };

	assert_int_equal(bpf_map_lookup_elem(
				 fd_of(H.dp.skel->maps.cgnat_mappings), &k, m),
			 0);
}

/* Sets the bound of the mapping of (h, hp) to 'exp'. */
static void map_expire(uint8_t proto, const char *h, uint16_t hp, uint64_t exp)
{
	struct cgnat_map_key k = { .addr = pkt_ip(h), .port = htons(hp),
				   .proto = proto, .dir = CGNAT_DIR_OUT };
	struct cgnat_map m;

	map_get(proto, h, hp, &m);
	m.expires_ns = exp;
	assert_int_equal(bpf_map_update_elem(
				 fd_of(H.dp.skel->maps.cgnat_mappings), &k, &m,
				 BPF_EXIST),
			 0);
}

static uint64_t past(void)
{
	return h_now_ns() - PAST_NS;
}

/* Outbound: an expired UDP session is replaced by a new one (fresh
 * timer, its charge and log row handed over), never refreshed; an
 * expired TCP session does not carry a packet that could not open one.
 */
static void test_outbound_expired(void **st)
{
	struct pkt_spec u = spec(17, H1, 5000, S1, 7, H_INSIDE);
	struct pkt_spec t = spec(6, H1, 41000, S1, 443, H_INSIDE), r;
	struct cgnat_sess ss;
	uint8_t out[512];
	size_t olen;
	uint32_t ext;
	uint16_t p;

	(void)st;
	xlate_out(&u, &ext);
	sess_expire(17, H1, 5000, S1, 7, past());
	assert_int_equal(H.dp.v.subs[0].sessions, 1);
	xlate_out(&u, &ext);
	assert_int_equal(h_stat(&H, STAT_SESS_REPLACED), 1);
	assert_int_equal(h_stat(&H, STAT_NEW_SESSION), 2);
	assert_int_equal(H.dp.v.subs[0].sessions, 1);	/* handed over */
	assert_int_equal(h_sess(&H, 17, pkt_ip(H1), 5000, pkt_ip(S1), 7, &ss),
			 0);
	assert_true(ss.expires_ns > h_now_ns() + 290 * SEC_NS);

	p = xlate_out(&t, &ext);
	r = spec(6, S1, 443, ip_str(ext, 0), p, H_OUTSIDE);
	r.tcp_flags = 0x12;
	assert_int_equal(run(H_OUTSIDE, &r, out, &olen), XDP_REDIRECT);
	sess_expire(6, H1, 41000, S1, 443, past());
	t.tcp_flags = 0x10;	/* an ACK of the established flow */
	assert_int_equal(run(H_INSIDE, &t, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_TCP_NO_SYN), 1);
	assert_int_equal(h_sess(&H, 6, pkt_ip(H1), 41000, pkt_ip(S1), 443,
				&ss), 0);
	assert_true(ss.expires_ns <= h_now_ns());	/* not refreshed */
}

/* Inbound: with the session expired the packet is a new inbound flow,
 * which filtering judges; with the mapping past its bound too, there is
 * no mapping at all (endpoint-independent filtering included), and the
 * reverse-session fast path never translates either.
 */
static void test_inbound_expired(void **st)
{
	struct pkt_spec u = spec(17, H1, 5000, S1, 7, H_INSIDE), in;
	struct cgnat_sess ss;
	uint8_t out[512];
	size_t olen;
	uint32_t ext;
	uint16_t p;

	(void)st;
	p = xlate_out(&u, &ext);
	in = spec(17, S1, 7, ip_str(ext, 0), p, H_OUTSIDE);
	xlate_in(in, H1, 5000);	/* writes the reverse entry */
	sess_expire(17, H1, 5000, S1, 7, past());
	/* Mapping alive (its bound): EIF admits, as a new session. */
	xlate_in(in, H1, 5000);
	assert_int_equal(h_stat(&H, STAT_SESS_REPLACED), 1);
	sess_expire(17, H1, 5000, S1, 7, past());
	map_expire(17, H1, 5000, past());
	assert_int_equal(run(H_OUTSIDE, &in, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_UNSOLICITED), 1);
	/* From another remote: the same. */
	in = spec(17, S2, 9, ip_str(ext, 0), p, H_OUTSIDE);
	assert_int_equal(run(H_OUTSIDE, &in, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_UNSOLICITED), 2);
	assert_int_equal(h_sess(&H, 17, pkt_ip(H1), 5000, pkt_ip(S1), 7, &ss),
			 0);
	assert_true(ss.expires_ns <= h_now_ns());
	assert_int_not_equal(h_sess(&H, 17, pkt_ip(H1), 5000, pkt_ip(S2), 9,
				    &ss), 0);
}

/* Outbound on a mapping past its bound: it is reclaimed and the
 * endpoint mapped afresh, not brought back.
 */
static void test_outbound_expired_mapping(void **st)
{
	struct pkt_spec u = spec(17, H1, 5000, S1, 7, H_INSIDE);
	struct cgnat_map m;
	uint32_t ext;

	(void)st;
	xlate_out(&u, &ext);
	sess_expire(17, H1, 5000, S1, 7, past());
	map_expire(17, H1, 5000, past());
	xlate_out(&u, &ext);
	assert_int_equal(h_stat(&H, STAT_MAP_RECLAIMED), 1);
	assert_int_equal(h_stat(&H, STAT_NEW_MAPPING), 2);
	map_get(17, H1, 5000, &m);
	assert_true(m.expires_ns > h_now_ns() + 290 * SEC_NS);
}

/* Hairpin: H1 reaches H2's external endpoint only while H2's mapping
 * lives.
 */
static void test_hairpin_expired(void **st)
{
	struct pkt_spec s2 = spec(17, H2, 6000, S1, 7, H_INSIDE), a;
	struct pkt_spec s1 = spec(17, H1, 5000, S1, 7, H_INSIDE);
	uint8_t out[512];
	size_t olen;
	uint32_t e1, e2;
	uint16_t p2;

	(void)st;
	p2 = xlate_out(&s2, &e2);
	xlate_out(&s1, &e1);
	sess_expire(17, H2, 6000, S1, 7, past());
	map_expire(17, H2, 6000, past());
	a = spec(17, H1, 5000, ip_str(e2, 1), p2, H_INSIDE);
	assert_int_equal(run(H_INSIDE, &a, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_UNSOLICITED), 1);
	assert_int_equal(h_stat(&H, STAT_HAIRPIN), 0);
}

/* ICMP errors about an expired session are not translated. */
static void test_icmp_error_expired(void **st)
{
	struct pkt_spec u = spec(17, H1, 5000, S1, 7, H_INSIDE), q;
	uint8_t qb[64], f[256], out[512];
	size_t qlen, flen, olen;
	uint32_t ext;
	uint16_t p;

	(void)st;
	p = xlate_out(&u, &ext);
	q = spec(17, ip_str(ext, 0), p, S1, 7, H_OUTSIDE);
	q.ttl = 63;
	qlen = quote_of(q, qb, 28);
	flen = icmp_frame(f, h_mac_gw, h_mac_tout, pkt_ip(S1), ext, 64, 3, 3,
			  qb, qlen);
	olen = sizeof(out);
	assert_int_equal(h_run(&H, H_OUTSIDE, f, flen, out, &olen),
			 XDP_REDIRECT);
	assert_int_equal(h_stat(&H, STAT_ICMP_XLATE), 1);
	sess_expire(17, H1, 5000, S1, 7, past());
	olen = sizeof(out);
	assert_int_equal(h_run(&H, H_OUTSIDE, f, flen, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_ICMP_XLATE), 1);
}

static struct cgnat_sweep_args sweep_at_ns(uint64_t at)
{
	struct cgnat_sweep_args a = { .now_ns = at };

	assert_int_equal(dp_sweep(&H.dp, &a), 0);
	return a;
}

/* The RFC floors as configured timers: UDP 120 s (RFC 4787 REQ-5), TCP
 * established 7440 s (RFC 5382 REQ-5), transitory 240 s, ICMP 60 s
 * (RFC 5508 REQ-1). A sweep judging at the timer's end after the last
 * packet keeps every session, and their mappings; a little after the
 * timer and its second of refresh slack each goes.
 */
static void test_floors(void **st)
{
	struct pkt_spec u = spec(17, H1, 5000, S1, 7, H_INSIDE);
	struct pkt_spec t = spec(6, H1, 41000, S1, 443, H_INSIDE), r;
	struct pkt_spec tt = spec(6, H1, 41001, S1, 443, H_INSIDE);
	struct pkt_spec i = spec(1, H1, 0x1234, S1, 0, H_INSIDE);
	struct cgnat_cfg c;
	uint8_t out[512];
	size_t olen;
	uint32_t ext, zero = 0;
	uint64_t t0;
	uint16_t p;

	(void)st;
	assert_int_equal(bpf_map_lookup_elem(fd_of(H.dp.skel->maps.cgnat_cfg),
					     &zero, &c), 0);
	c.udp_timeout_ns = 120 * SEC_NS;
	c.tcp_est_timeout_ns = 7440 * SEC_NS;
	c.tcp_trans_timeout_ns = 240 * SEC_NS;
	c.icmp_timeout_ns = 60 * SEC_NS;
	assert_int_equal(dp_set_cfg(&H.dp, &c), 0);
	t0 = h_now_ns();
	xlate_out(&u, &ext);
	xlate_out(&tt, &ext);		/* a SYN only: transitory */
	p = xlate_out(&t, &ext);
	r = spec(6, S1, 443, ip_str(ext, 0), p, H_OUTSIDE);
	r.tcp_flags = 0x12;
	assert_int_equal(run(H_OUTSIDE, &r, out, &olen), XDP_REDIRECT);
	xlate_out(&i, &ext);
	/* After the last packet (t0 at most), each timer in full. */
	assert_int_equal(sweep_at_ns(t0 + 60 * SEC_NS).sessions_expired, 0);
	assert_int_equal(sweep_at_ns(t0 + 62 * SEC_NS).sessions_expired, 1);
	assert_int_equal(sweep_at_ns(t0 + 120 * SEC_NS).sessions_expired, 0);
	assert_int_equal(sweep_at_ns(t0 + 122 * SEC_NS).sessions_expired, 1);
	assert_int_equal(sweep_at_ns(t0 + 240 * SEC_NS).sessions_expired, 0);
	assert_int_equal(sweep_at_ns(t0 + 242 * SEC_NS).sessions_expired, 1);
	assert_int_equal(sweep_at_ns(t0 + 7440 * SEC_NS).sessions_expired, 0);
	assert_int_equal(sweep_at_ns(t0 + 7440 * SEC_NS).mappings_expired, 0);
	assert_int_equal(sweep_at_ns(t0 + 7442 * SEC_NS).sessions_expired, 1);
}

#define WIDE (1ull << 35)	/* the widest bound slot */

static void set_timers(uint64_t udp_s)
{
	struct cgnat_cfg c;
	uint32_t zero = 0;

	assert_int_equal(bpf_map_lookup_elem(fd_of(H.dp.skel->maps.cgnat_cfg),
					     &zero, &c), 0);
	c.udp_timeout_ns = udp_s * SEC_NS;
	assert_int_equal(dp_set_cfg(&H.dp, &c), 0);
}

/* The session of u and its mapping's bound, which covers the session's
 * expiry (its bound slot's end, at least).
 */
static uint64_t bound_covers(const struct pkt_spec *u, struct cgnat_sess *ss)
{
	struct cgnat_map m;

	assert_int_equal(h_sess(&H, 17, u->saddr, u->sport, u->daddr,
				u->dport, ss), 0);
	map_get(17, H1, u->sport, &m);
	assert_true(m.expires_ns >= CGNAT_MAP_BOUND(ss->expires_ns));
	assert_true(m.expires_ns > ss->expires_ns);
	return m.expires_ns;
}

/* Bound slots (cgnat_abi.h): a session's expiry carries the width of its
 * mapping's bound slot, at most an eighth of its timer and never making
 * it expire early; a refresh into a later slot raises the bound; and
 * whatever the timers become, each bound covers its sessions.
 */
static void test_bound_slots(void **st)
{
	struct pkt_spec u = spec(17, H1, 5000, S1, 7, H_INSIDE);
	struct cgnat_sess ss;
	struct cgnat_map m;
	uint64_t t0, b, e, udp;
	uint32_t ext;

	(void)st;
	/* The codes: 4.3 s up to a 68.7 s timer, then 8.6, 17.2, 34.4. */
	assert_int_equal(cgnat_exp_make(1000, 0), 1000);
	assert_int_equal(cgnat_exp_make(1001, 0), 1008);
	assert_int_equal(cgnat_exp_make(1000, 60 * SEC_NS) & 7, 0);
	assert_int_equal(cgnat_exp_make(1000, 120 * SEC_NS) & 7, 1);
	assert_int_equal(cgnat_exp_make(1000, 240 * SEC_NS) & 7, 2);
	assert_int_equal(cgnat_exp_make(1000, 300 * SEC_NS) & 7, 3);
	assert_int_equal(cgnat_exp_make(1000, 7440 * SEC_NS) & 7, 3);
	e = cgnat_exp_make(5 * SEC_NS + 1, 300 * SEC_NS);
	assert_true(e >= 5 * SEC_NS + 1 && e < 5 * SEC_NS + 16);
	assert_int_equal(CGNAT_MAP_BOUND(e), WIDE);
	assert_int_equal(CGNAT_MAP_BOUND(e & ~7ull), 1ull << 33);

	/* 300 s: a 34.4 s slot, the expiry a full timer and its slack. */
	set_timers(300);
	t0 = h_now_ns();
	xlate_out(&u, &ext);
	b = bound_covers(&u, &ss);
	assert_int_equal(ss.expires_ns & 7, 3);
	/* The packet clock is the coarse one, up to a tick behind t0. */
	assert_true(ss.expires_ns >= t0 + 301 * SEC_NS - PAST_NS);
	assert_true(b - ss.expires_ns <= WIDE);

	/* A refresh into a later slot raises the bound: the session's old
	 * expiry and its bound set 100 s back.
	 */
	e = cgnat_exp_make(ss.expires_ns - 100 * SEC_NS, 300 * SEC_NS);
	sess_expire(17, H1, 5000, S1, 7, e);
	map_expire(17, H1, 5000, CGNAT_MAP_BOUND(e));
	xlate_out(&u, &ext);
	assert_true(bound_covers(&u, &ss) > CGNAT_MAP_BOUND(e));

	/* The timer cut to 30 s (4.3 s slots): a session covered with a
	 * wide slot refreshes under the narrow one.
	 */
	set_timers(30);
	e = cgnat_exp_make(h_now_ns() + 10 * SEC_NS, 300 * SEC_NS);
	sess_expire(17, H1, 5000, S1, 7, e);
	map_expire(17, H1, 5000, CGNAT_MAP_BOUND(e));
	xlate_out(&u, &ext);
	bound_covers(&u, &ss);
	assert_int_equal(ss.expires_ns & 7, 0);

	/* And back to a wide slot: a session covered with a narrow one
	 * refreshes under the wide one. Its old expiry 5 s before the new
	 * one, in the same 34.4 s slot but not the same 4.3 s slot (the
	 * timer, 300-334 s, puts the new one mid-slot): only the width
	 * the old expiry carries says a cover is due.
	 */
	t0 = h_now_ns();
	e = (t0 + 301 * SEC_NS) & (WIDE - 1);	/* offset in its slot */
	udp = 300 + ((17 * SEC_NS + WIDE - e) & (WIDE - 1)) / SEC_NS;
	set_timers(udp);
	e = cgnat_exp_make(t0 + (udp - 4) * SEC_NS, 0);
	sess_expire(17, H1, 5000, S1, 7, e);
	map_expire(17, H1, 5000, CGNAT_MAP_BOUND(e));
	xlate_out(&u, &ext);
	bound_covers(&u, &ss);
	assert_int_equal(ss.expires_ns & 7, 3);
	map_get(17, H1, 5000, &m);
	assert_int_equal(m.state, CGNAT_MAP_LIVE);
}

/* Slot (subscriber 'h', protocol index 'pidx') of a per subscriber and
 * protocol time in 'map', read, or with 'set' written first.
 */
static uint64_t sub_time(struct bpf_map *map, const char *h, uint32_t pidx,
			 int set, uint64_t v)
{
	uint32_t addr = pkt_ip(h), idx, key;

	assert_int_equal(bpf_map_lookup_elem(
				 fd_of(H.dp.skel->maps.cgnat_sub_idx), &addr,
				 &idx),
			 0);
	key = idx * CGNAT_NPROTO + pidx;
	if (set)
		assert_int_equal(bpf_map_update_elem(fd_of(map), &key, &v, 0),
				 0);
	assert_int_equal(bpf_map_lookup_elem(fd_of(map), &key, &v), 0);
	return v;
}

/* The time before which no reclaim scan runs (pba.h,
 * PBA_RECLAIM_IDLE_NS); 0 written is "a second has passed".
 */
static uint64_t reclaim_idle(const char *h, uint32_t pidx, int set,
			     uint64_t v)
{
	return sub_time(H.dp.skel->maps.cgnat_reclaim_idle, h, pidx, set, v);
}

/* The time before which the quota refuses without a look (nat.h,
 * NAT_QUOTA_HOLD_NS); 0 written is "the hold has passed".
 */
static uint64_t quota_hold(const char *h, uint32_t pidx, int set,
			   uint64_t v)
{
	return sub_time(H.dp.skel->maps.cgnat_quota_hold, h, pidx, set, v);
}

/* A subscriber at max_blocks (1) with every port of its block mapped:
 * when those mappings are past their bounds, a new flow reclaims one and
 * is translated from the same block; while they live it is refused. A
 * scan that found nothing holds the next ones off for a second (each
 * refused flow would pay one): mappings that expire meanwhile wait.
 */
static int setup_small(void **st)
{
	(void)st;
	return h_load(&H, 1, 64, 1, 1);
}

/* H1 maps every port of its one block (UDP from 10000 + i) and is
 * refused its next flow, H1:20000, which *s is left holding.
 */
static void fill_to_quota(struct pkt_spec *s)
{
	uint8_t out[512];
	size_t olen;
	uint32_t ext;
	uint16_t i;

	for (i = 0; i < 64; i++) {
		*s = spec(17, H1, 10000 + i, S1, 7, H_INSIDE);
		xlate_out(s, &ext);
	}
	*s = spec(17, H1, 20000, S1, 7, H_INSIDE);
	assert_int_equal(run(H_INSIDE, s, out, &olen), XDP_DROP);
}

static void test_reclaim_on_demand(void **st)
{
	struct pkt_spec s;
	uint8_t out[512];
	size_t olen;
	uint32_t ext;
	uint16_t i;

	(void)st;
	fill_to_quota(&s);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_QUOTA), 1);
	assert_int_equal(h_stat(&H, STAT_MAP_RECLAIMED), 0);
	assert_int_equal(h_stat(&H, STAT_RECLAIM_IDLE), 0);
	/* The fruitless scan: none for a second, for UDP only; and the
	 * quota's hold, no look at all for 10 ms.
	 */
	assert_true(reclaim_idle(H1, CGNAT_P_UDP, 0, 0) > h_now_ns() +
						       500000000ull);
	assert_int_equal(reclaim_idle(H1, CGNAT_P_TCP, 0, 0), 0);
	assert_true(quota_hold(H1, CGNAT_P_UDP, 0, 0) > h_now_ns());
	assert_int_equal(quota_hold(H1, CGNAT_P_TCP, 0, 0), 0);
	for (i = 0; i < 64; i++) {
		sess_expire(17, H1, 10000 + i, S1, 7, past());
		map_expire(17, H1, 10000 + i, past());
	}
	quota_hold(H1, CGNAT_P_UDP, 1, 0);	/* 10 ms later */
	assert_int_equal(run(H_INSIDE, &s, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_QUOTA), 2);
	assert_int_equal(h_stat(&H, STAT_RECLAIM_IDLE), 1);
	assert_int_equal(h_stat(&H, STAT_MAP_RECLAIMED), 0);
	reclaim_idle(H1, CGNAT_P_UDP, 1, 0);	/* a second later */
	quota_hold(H1, CGNAT_P_UDP, 1, 0);
	xlate_out(&s, &ext);
	assert_int_equal(h_stat(&H, STAT_MAP_RECLAIMED), 1);
	assert_int_equal(h_stat(&H, STAT_BLOCK_TAKEN), 1);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_QUOTA), 2);
	/* A scan that found one sets no idle time. */
	assert_int_equal(reclaim_idle(H1, CGNAT_P_UDP, 0, 0), 0);
	/* And again: each new flow takes back what it needs. */
	s = spec(17, H1, 20001, S1, 7, H_INSIDE);
	xlate_out(&s, &ext);
	assert_int_equal(h_stat(&H, STAT_MAP_RECLAIMED), 2);
}

/* The quota's hold (nat.h): after a look at the held blocks that the
 * quota refused, the next new flows of that subscriber and protocol are
 * refused for NAT_QUOTA_HOLD_NS without a look (counted as quota_held)
 * even if a port came free meanwhile; TCP and other subscribers are not
 * held; once it has passed, the freed port is taken.
 */
static void test_quota_hold(void **st)
{
	struct pkt_spec s;
	uint8_t out[512];
	size_t olen;
	uint32_t ext;
	uint16_t i;

	(void)st;
	fill_to_quota(&s);
	assert_int_equal(h_stat(&H, STAT_QUOTA_HELD), 0);
	assert_true(quota_hold(H1, CGNAT_P_UDP, 0, 0) > h_now_ns());
	/* Held: refused without a look, though every port is reclaimable
	 * (all of them: a scan looks at 32 of the block's 64).
	 */
	for (i = 0; i < 64; i++) {
		sess_expire(17, H1, 10000 + i, S1, 7, past());
		map_expire(17, H1, 10000 + i, past());
	}
	reclaim_idle(H1, CGNAT_P_UDP, 1, 0);
	assert_int_equal(run(H_INSIDE, &s, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_QUOTA_HELD), 1);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_QUOTA), 2);
	assert_int_equal(h_stat(&H, STAT_MAP_RECLAIMED), 0);
	/* Not TCP, nor another subscriber. */
	s = spec(6, H1, 30000, S1, 80, H_INSIDE);
	xlate_out(&s, &ext);
	s = spec(17, H2, 30000, S1, 7, H_INSIDE);
	xlate_out(&s, &ext);
	assert_int_equal(h_stat(&H, STAT_QUOTA_HELD), 1);
	/* Past the hold: a look, the expired mapping reclaimed. */
	usleep(20000);
	s = spec(17, H1, 20000, S1, 7, H_INSIDE);
	xlate_out(&s, &ext);
	assert_int_equal(h_stat(&H, STAT_MAP_RECLAIMED), 1);
	assert_int_equal(h_stat(&H, STAT_QUOTA_HELD), 1);
	assert_int_equal(quota_hold(H1, CGNAT_P_UDP, 0, 0) > h_now_ns(), 0);
}

/* Below its quota (its last allowed slot empty: max_blocks 8, one block
 * held) a subscriber's hold is not read: a stale one written there
 * refuses nothing, and quota_held stays 0.
 */
static void test_quota_hold_below(void **st)
{
	struct pkt_spec s = spec(17, H1, 10000, S1, 7, H_INSIDE);
	uint32_t ext;

	(void)st;
	xlate_out(&s, &ext);
	quota_hold(H1, CGNAT_P_UDP, 1, ~0ull);
	s = spec(17, H1, 10001, S1, 7, H_INSIDE);
	xlate_out(&s, &ext);
	assert_int_equal(h_stat(&H, STAT_QUOTA_HELD), 0);
}

/* The sweep deleting a mapping past its bound stamps the block with the
 * bound (when the mapping stopped translating), not with its own time.
 */
static void test_block_last_use(void **st)
{
	struct pkt_spec u = spec(17, H1, 5000, S1, 7, H_INSIDE);
	struct cgnat_map m;
	uint64_t bound, want, got, off;
	uint32_t ext, id;

	(void)st;
	xlate_out(&u, &ext);
	map_get(17, H1, 5000, &m);
	id = (ntohs(m.port) - 1024) / 256;
	assert_int_equal(H.dp.v.blocks[id].last_use_tai_ns, 0);
	bound = h_now_ns() - 30 * SEC_NS;
	sess_expire(17, H1, 5000, S1, 7, bound - SEC_NS);
	map_expire(17, H1, 5000, bound);
	/* Its session ends before its birth: not the one it was made for
	 * (CGNAT_SOLE_MIN_NS), so the walk takes it, by its bound.
	 */
	assert_int_equal(sweep_at_ns(h_now_ns()).mappings_expired, 1);
	assert_int_equal(H.dp.sw.a.mappings_sole, 0);
	off = h_tai_off_ns();
	want = bound + off;
	got = H.dp.v.blocks[id].last_use_tai_ns;
	assert_true(got + 5000000 > want && got < want + 5000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outbound_expired, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_inbound_expired, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_outbound_expired_mapping,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hairpin_expired, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_icmp_error_expired, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_floors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reclaim_on_demand,
						setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_quota_hold, setup_small,
						teardown),
		cmocka_unit_test_setup_teardown(test_quota_hold_below, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_block_last_use, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bound_slots, setup,
						teardown),
	};

	if (h_netns())
		return 1;
	return cmocka_run_group_tests_name("bpf_expiry", tests, NULL, NULL);
}
