// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_rsess.c - the reverse session (bpf/rsess.h) through the XDP program:
 * the inbound slow path installs it, the next packet is translated by it
 * alone (the xlate_in_fast counter, and the mapping's inbound half
 * deleted) into the same bytes as a frame built from scratch; it is not
 * used once expired, for SYN/FIN/RST, fragments or TTL 1; a TCP state
 * change deletes it; inbound refresh still advances the session; the
 * sweep and a userspace delete take it with its session, the sweep also
 * every inconsistent one; and a pin set from before it gets it created.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/cgnat.skel.h"

#include "tests/bpf/nat_util.h"

#define SEC_NS 1000000000ull

static int fd_rev(void)
{
	return bpf_map__fd(H.dp.skel->maps.cgnat_rsess);
}

static int fd_sess(void)
{
	return bpf_map__fd(H.dp.skel->maps.cgnat_sessions);
}

static uint64_t fast(void)
{
	return h_stat(&H, STAT_XLATE_IN_FAST);
}

static struct cgnat_rsess_key rkey(uint8_t proto, uint32_t ext, uint16_t ep,
				   const char *rem, uint16_t rp)
{
	struct cgnat_rsess_key k;

	memset(&k, 0, sizeof(k));
	k.ext_addr = ext;
	k.ext_port = htons(ep);
	k.rem_addr = pkt_ip(rem);
	k.rem_port = htons(rp);
	k.proto = proto;
	return k;
}

static int rev_get(uint8_t proto, uint32_t ext, uint16_t ep, const char *rem,
		   uint16_t rp, struct cgnat_rsess *r)
{
	struct cgnat_rsess_key k = rkey(proto, ext, ep, rem, rp);

	return bpf_map_lookup_elem(fd_rev(), &k, r);
}

static struct cgnat_sess_key skey(uint8_t proto, uint16_t iport,
				  const char *rem, uint16_t rp)
{
	struct cgnat_sess_key k;

	memset(&k, 0, sizeof(k));
	k.int_addr = pkt_ip(H1);
	k.int_port = htons(iport);
	k.rem_addr = pkt_ip(rem);
	k.rem_port = htons(rp);
	k.proto = proto;
	return k;
}

/* H1:iport -> S1:7 over UDP, answered once (which installs the entry).
 * Returns the reply as it arrives from S1.
 */
static struct pkt_spec udp_flow(uint16_t iport, uint32_t *ext, uint16_t *p)
{
	struct pkt_spec s = spec(17, H1, iport, S1, 7, H_INSIDE), r;

	*p = xlate_out(&s, ext);
	r = spec(17, S1, 7, ip_str(*ext, 0), *p, H_OUTSIDE);
	xlate_in(r, H1, iport);
	return r;
}

/* An established TCP flow H1:iport -> S1:80 with its entry installed by
 * the SYN-ACK. Returns an inbound ACK of it.
 */
static struct pkt_spec tcp_flow(uint16_t iport, uint32_t *ext, uint16_t *p)
{
	struct pkt_spec s = spec(6, H1, iport, S1, 80, H_INSIDE), r;

	*p = xlate_out(&s, ext);
	r = spec(6, S1, 80, ip_str(*ext, 0), *p, H_OUTSIDE);
	r.tcp_flags = 0x12;
	xlate_in(r, H1, iport);
	r.tcp_flags = 0x10;
	return r;
}

/* Sets the expiry of the session of H1:iport -> rem and, unless 0, of
 * the entry of ext:p.
 */
static void set_expiry(uint8_t proto, uint16_t iport, uint32_t ext,
		       uint16_t p, uint64_t sess_ns, uint64_t rev_ns)
{
	uint16_t rp = proto == 6 ? 80 : 7;
	struct cgnat_sess_key sk = skey(proto, iport, S1, rp);
	struct cgnat_rsess_key rk = rkey(proto, ext, p, S1, rp);
	struct cgnat_sess s;
	struct cgnat_rsess r;

	assert_int_equal(bpf_map_lookup_elem(fd_sess(), &sk, &s), 0);
	s.expires_ns = sess_ns;
	assert_int_equal(bpf_map_update_elem(fd_sess(), &sk, &s, BPF_EXIST), 0);
	if (!rev_ns)
		return;
	assert_int_equal(bpf_map_lookup_elem(fd_rev(), &rk, &r), 0);
	r.expires_ns = rev_ns;
	assert_int_equal(bpf_map_update_elem(fd_rev(), &rk, &r, BPF_EXIST), 0);
}

/* The outbound path adds nothing; the first inbound packet installs a
 * copy of the session; the next is translated by it alone, even with
 * the mapping's inbound half gone, into the reference bytes (also with
 * IP options and a zero UDP checksum).
 */
static void test_udp_install_then_fast(void **st)
{
	struct pkt_spec s = spec(17, H1, 5000, S1, 7, H_INSIDE), r;
	struct cgnat_map_key mk = { .proto = 17, .dir = CGNAT_DIR_IN };
	struct cgnat_sess ss;
	struct cgnat_rsess rv;
	uint32_t ext;
	uint16_t p = xlate_out(&s, &ext);

	(void)st;
	assert_int_not_equal(rev_get(17, ext, p, S1, 7, &rv), 0);
	r = spec(17, S1, 7, ip_str(ext, 0), p, H_OUTSIDE);
	xlate_in(r, H1, 5000);
	assert_int_equal(fast(), 0);
	assert_int_equal(rev_get(17, ext, p, S1, 7, &rv), 0);
	assert_int_equal(h_sess(&H, 17, pkt_ip(H1), 5000, pkt_ip(S1), 7, &ss),
			 0);
	assert_true(rv.expires_ns == ss.expires_ns);
	assert_int_equal(rv.int_addr, pkt_ip(H1));
	assert_int_equal(rv.int_port, htons(5000));
	assert_int_equal(rv.tcp_seen, 0);
	assert_memory_equal(&rv.nh, &ss.nh[CGNAT_DIR_IN], sizeof(rv.nh));
	xlate_in(r, H1, 5000);
	assert_int_equal(fast(), 1);
	mk.addr = ext;
	mk.port = htons(p);
	assert_int_equal(bpf_map_delete_elem(
				 bpf_map__fd(H.dp.skel->maps.cgnat_map_in),
				 &mk), 0);
	r.opt_words = 2;
	r.udp_nocsum = 1;
	xlate_in(r, H1, 5000);
	assert_int_equal(fast(), 2);
	assert_int_equal(h_stat(&H, STAT_XLATE_IN), 3);
}

/* TCP gets an entry only once established, from the SYN-ACK on. */
static void test_tcp_established_only(void **st)
{
	struct pkt_spec s = spec(6, H1, 40001, S1, 80, H_INSIDE), r;
	struct cgnat_rsess rv;
	uint32_t ext;
	uint16_t p = xlate_out(&s, &ext);

	(void)st;
	r = spec(6, S1, 80, ip_str(ext, 0), p, H_OUTSIDE);
	r.tcp_flags = 0x10;	/* an ACK before the SYN-ACK */
	xlate_in(r, H1, 40001);
	assert_int_not_equal(rev_get(6, ext, p, S1, 80, &rv), 0);
	r.tcp_flags = 0x12;
	xlate_in(r, H1, 40001);
	assert_int_equal(fast(), 0);
	assert_int_equal(rev_get(6, ext, p, S1, 80, &rv), 0);
	assert_int_equal(rv.tcp_seen, CGNAT_TCP_SYN_OUT | CGNAT_TCP_SYN_IN);
	r.tcp_flags = 0x10;
	xlate_in(r, H1, 40001);
	r.tcp_flags = 0x18;	/* PSH ACK */
	xlate_in(r, H1, 40001);
	assert_int_equal(fast(), 2);
}

/* A FIN out, a FIN in or a RST in deletes the entry (the session's
 * expiry shrinks to the transitory timer); the packets after it take the
 * slow path, translated the same, and install nothing.
 */
static void test_state_change_forgets(void **st)
{
	static const struct {
		int side;
		uint8_t flags;
	} c[3] = { { H_INSIDE, 0x11 }, { H_OUTSIDE, 0x11 },
		   { H_OUTSIDE, 0x14 } };
	struct cgnat_rsess rv;
	struct pkt_spec r, o;
	uint8_t out[512];
	size_t olen;
	uint32_t ext;
	uint16_t p;
	int i;

	(void)st;
	for (i = 0; i < 3; i++) {
		uint64_t f;

		r = tcp_flow(40010 + i, &ext, &p);
		xlate_in(r, H1, 40010 + i);
		f = fast();
		o = c[i].side == H_INSIDE ?
			    spec(6, H1, 40010 + i, S1, 80, H_INSIDE) : r;
		o.tcp_flags = c[i].flags;
		assert_int_equal(run(c[i].side, &o, out, &olen), XDP_REDIRECT);
		assert_int_not_equal(rev_get(6, ext, p, S1, 80, &rv), 0);
		xlate_in(r, H1, 40010 + i);
		assert_int_equal(fast(), f);
		assert_int_not_equal(rev_get(6, ext, p, S1, 80, &rv), 0);
	}
}

/* SYN, FIN, RST, a first fragment and TTL 1 never take the fast path,
 * even with a valid entry; TTL 2 does.
 */
static void test_not_fast(void **st)
{
	static const uint8_t flags[3] = { 0x12, 0x02, 0x01 | 0x10 };
	struct pkt_spec r, u;
	uint8_t whole[2048], f[2048], out[2048];
	size_t wl, fl, olen = sizeof(out);
	uint32_t ext;
	uint16_t p;
	uint64_t ttl;
	int i;

	(void)st;
	r = tcp_flow(40020, &ext, &p);
	xlate_in(r, H1, 40020);
	assert_int_equal(fast(), 1);
	for (i = 0; i < 3; i++) {	/* SYN-ACK, SYN, FIN last */
		r.tcp_flags = flags[i];
		xlate_in(r, H1, 40020);
		assert_int_equal(fast(), 1);
	}
	u = udp_flow(5000, &ext, &p);
	xlate_in(u, H1, 5000);
	assert_int_equal(fast(), 2);
	u.payload = 1000;
	wl = pkt_build(whole, sizeof(whole), &u);
	fl = pkt_fragment(whole, wl, 504, 0, f);
	assert_int_equal(h_run(&H, H_OUTSIDE, f, fl, out, &olen), XDP_REDIRECT);
	assert_int_equal(h_stat(&H, STAT_FRAG_FIRST), 1);
	assert_int_equal(fast(), 2);
	u.payload = 32;
	u.ttl = 1;
	ttl = h_stat(&H, STAT_TTL_EXPIRED);
	assert_int_equal(run(H_OUTSIDE, &u, out, &olen), XDP_REDIRECT);
	assert_int_equal(h_stat(&H, STAT_TTL_EXPIRED), ttl + 1);
	assert_int_equal(fast(), 2);
	u.ttl = 2;
	xlate_in(u, H1, 5000);
	assert_int_equal(fast(), 3);
}

/* An entry with expires_ns <= now is not used (its wrong port would
 * show), and the slow path rewrites it from the session.
 */
static void test_expired_not_used(void **st)
{
	struct cgnat_rsess_key rk;
	struct cgnat_sess ss;
	struct cgnat_rsess rv;
	struct pkt_spec r;
	uint32_t ext;
	uint16_t p;

	(void)st;
	r = udp_flow(5000, &ext, &p);
	rk = rkey(17, ext, p, S1, 7);
	assert_int_equal(bpf_map_lookup_elem(fd_rev(), &rk, &rv), 0);
	rv.expires_ns = h_now_ns() - SEC_NS;
	rv.int_port = htons(5999);
	assert_int_equal(bpf_map_update_elem(fd_rev(), &rk, &rv, BPF_EXIST), 0);
	xlate_in(r, H1, 5000);
	assert_int_equal(fast(), 0);
	assert_int_equal(bpf_map_lookup_elem(fd_rev(), &rk, &rv), 0);
	assert_int_equal(h_sess(&H, 17, pkt_ip(H1), 5000, pkt_ip(S1), 7, &ss),
			 0);
	assert_true(rv.expires_ns == ss.expires_ns);
	assert_int_equal(rv.int_port, htons(5000));
	xlate_in(r, H1, 5000);
	assert_int_equal(fast(), 1);
}

/* A next-hop generation bump: the entry's next hop is stale, so the
 * slow path looks the FIB up once (for the session) and rewrites the
 * entry; the packet after that is fast again without a lookup.
 */
static void test_nh_bump(void **st)
{
	struct cgnat_rsess rv;
	struct pkt_spec r;
	uint64_t fib;
	uint32_t ext, gen;
	uint16_t p;

	(void)st;
	r = udp_flow(5000, &ext, &p);
	assert_int_equal(dp_nh_bump(&H.dp, &gen), 0);
	fib = h_stat(&H, STAT_FIB_LOOKUP);
	xlate_in(r, H1, 5000);
	assert_int_equal(fast(), 0);
	assert_int_equal(h_stat(&H, STAT_FIB_LOOKUP), fib + 1);
	assert_int_equal(rev_get(17, ext, p, S1, 7, &rv), 0);
	assert_int_equal(rv.nh.gen, (uint16_t)gen);
	xlate_in(r, H1, 5000);
	assert_int_equal(fast(), 1);
	assert_int_equal(h_stat(&H, STAT_FIB_LOOKUP), fib + 1);
}

/* With inbound refresh an entry within a timeout of its expiry sends the
 * packet to the slow path, which refreshes the session and the entry;
 * without it the entry is used until it expires, refreshing nothing.
 */
static void test_inbound_refresh(void **st)
{
	uint64_t t300 = 300 * SEC_NS, now;
	struct cgnat_sess ss;
	struct cgnat_rsess rv;
	struct pkt_spec r;
	uint32_t ext;
	uint16_t p;

	(void)st;
	H.o.cfg.inbound_refresh = 1;
	assert_int_equal(dp_set_cfg(&H.dp, &H.o.cfg), 0);
	r = udp_flow(5000, &ext, &p);
	xlate_in(r, H1, 5000);
	assert_int_equal(fast(), 1);
	now = h_now_ns();
	set_expiry(17, 5000, ext, p, now + 100 * SEC_NS, now + 100 * SEC_NS);
	xlate_in(r, H1, 5000);
	assert_int_equal(fast(), 1);
	assert_int_equal(h_sess(&H, 17, pkt_ip(H1), 5000, pkt_ip(S1), 7, &ss),
			 0);
	assert_true(ss.expires_ns >= now + t300);
	assert_int_equal(rev_get(17, ext, p, S1, 7, &rv), 0);
	assert_true(rv.expires_ns == ss.expires_ns);
	xlate_in(r, H1, 5000);
	assert_int_equal(fast(), 2);

	H.o.cfg.inbound_refresh = 0;
	assert_int_equal(dp_set_cfg(&H.dp, &H.o.cfg), 0);
	set_expiry(17, 5000, ext, p, now + 100 * SEC_NS, now + 100 * SEC_NS);
	xlate_in(r, H1, 5000);
	assert_int_equal(fast(), 3);
	assert_int_equal(h_sess(&H, 17, pkt_ip(H1), 5000, pkt_ip(S1), 7, &ss),
			 0);
	assert_true(ss.expires_ns == now + 100 * SEC_NS);
}

static void put_rev(uint8_t proto, uint32_t ext, uint16_t ep, const char *rem,
		    uint16_t rp, uint16_t iport, uint64_t exp)
{
	struct cgnat_rsess_key k = rkey(proto, ext, ep, rem, rp);
	struct cgnat_rsess r = { .expires_ns = exp, .int_addr = pkt_ip(H1),
				 .int_port = htons(iport) };

	assert_int_equal(bpf_map_update_elem(fd_rev(), &k, &r, BPF_ANY), 0);
}

static struct cgnat_sweep_args sweep_at(uint64_t plus_s)
{
	struct cgnat_sweep_args a = { .now_ns = h_now_ns() + plus_s * SEC_NS };

	assert_int_equal(dp_sweep(&H.dp, &a), 0);
	return a;
}

/* The sweep keeps a consistent entry and deletes the others: no session
 * (an orphan), a session with another external port, expired, later
 * than its session; then the entries of the sessions it expires.
 */
static void test_sweep(void **st)
{
	struct cgnat_sweep_args a;
	struct cgnat_sess ss;
	struct cgnat_rsess rv;
	uint32_t ext;
	uint16_t p, pb, pc;
	uint64_t now;

	(void)st;
	udp_flow(5000, &ext, &p);
	udp_flow(5002, &ext, &pb);
	udp_flow(5004, &ext, &pc);
	now = h_now_ns();
	put_rev(17, ext, 60001, S2, 7, 5001, now + 100 * SEC_NS);
	put_rev(17, ext, p + 1, S1, 7, 5000, now + 100 * SEC_NS); /* odd */
	set_expiry(17, 5002, ext, pb, now + 300 * SEC_NS, now - SEC_NS);
	assert_int_equal(h_sess(&H, 17, pkt_ip(H1), 5004, pkt_ip(S1), 7, &ss),
			 0);
	set_expiry(17, 5004, ext, pc, ss.expires_ns,
		   ss.expires_ns + 10 * SEC_NS);
	a = sweep_at(0);
	assert_int_equal(a.sessions_expired, 0);
	assert_int_equal(a.rsess_seen, 5);
	assert_int_equal(a.rsess_deleted, 4);
	assert_int_equal(rev_get(17, ext, p, S1, 7, &rv), 0);
	assert_int_not_equal(rev_get(17, ext, pb, S1, 7, &rv), 0);
	assert_int_not_equal(rev_get(17, ext, pc, S1, 7, &rv), 0);
	a = sweep_at(400);
	assert_int_equal(a.sessions_expired, 3);
	assert_int_equal(a.rsess_seen, 0);	/* pass 1 took the last one */
	assert_int_not_equal(rev_get(17, ext, p, S1, 7, &rv), 0);
}

/* A session deleted from userspace: dp_sess_delete takes its entry with
 * it, so with filtering the next packet is refused, not translated. A
 * raw delete (bpftool) leaves the entry to the next sweep.
 */
static void test_userspace_delete(void **st)
{
	struct cgnat_sess_key sk = skey(17, 5000, S1, 7);
	struct cgnat_rsess rv;
	struct pkt_spec r;
	uint8_t out[512];
	size_t olen;
	uint32_t ext;
	uint16_t p;

	(void)st;
	H.o.cfg.filtering = CGNAT_FILTER_APDF;
	assert_int_equal(dp_set_cfg(&H.dp, &H.o.cfg), 0);
	r = udp_flow(5000, &ext, &p);
	xlate_in(r, H1, 5000);
	assert_int_equal(fast(), 1);
	assert_int_equal(H.dp.v.subs[0].sessions, 1);
	assert_int_equal(dp_sess_delete(&H.dp, &sk), 0);
	assert_int_equal(H.dp.v.subs[0].sessions, 0);
	assert_int_not_equal(rev_get(17, ext, p, S1, 7, &rv), 0);
	assert_int_equal(run(H_OUTSIDE, &r, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_FILTERED), 1);
	assert_int_equal(dp_sess_delete(&H.dp, &sk), -ENOENT);

	r = udp_flow(5002, &ext, &p);
	sk = skey(17, 5002, S1, 7);
	assert_int_equal(bpf_map_delete_elem(fd_sess(), &sk), 0);
	assert_int_equal(sweep_at(0).rsess_deleted, 1);
	assert_int_equal(run(H_OUTSIDE, &r, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_FILTERED), 2);
	assert_int_equal(fast(), 1);
}

static char pin_dir[64];

static int map_size(const char *name)
{
	return h_pinned_size(pin_dir, name);
}

/* Removes the pin of map 'name', as a build without it left the set;
 * 'path' gets its path.
 */
static void unpin(const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", pin_dir, name);
	assert_int_equal(unlink(path), 0);
}

/* Pins left by a build before the reverse sessions (no cgnat_rsess, one
 * counter fewer): reused, with cgnat_rsess made and pinned and the
 * counters made anew. Every load starts with an empty cgnat_rsess.
 */
static void test_pins_upgrade(void **st)
{
	struct cgnat_sess_key sk = skey(17, 5000, S1, 7);
	struct cgnat_rsess_key rk = rkey(17, H.addrs[0], 2000, S1, 7), nk;
	struct cgnat_rsess rv = { .expires_ns = ~0ull };
	struct dp_opts o = H.o;
	struct cgnat_sess sv = { .expires_ns = ~0ull };
	char path[128];
	struct dp d;
	int fd;

	(void)st;
	o.pin_dir = pin_dir;
	assert_int_equal(dp_open(&d, &o), 0);
	assert_true(d.fresh);
	assert_int_equal(bpf_map_update_elem(
				 bpf_map__fd(d.skel->maps.cgnat_sessions), &sk,
				 &sv, BPF_NOEXIST), 0);
	dp_close(&d);
	unpin("cgnat_rsess", path, sizeof(path));
	unpin("cgnat_stats", path, sizeof(path));
	fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "cgnat_stats", 4, 8,
			    STAT_MAX - 1, NULL);
	assert_true(fd >= 0);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	close(fd);

	assert_int_equal(dp_open(&d, &o), 0);
	assert_false(d.fresh);
	assert_int_equal(bpf_map_lookup_elem(
				 bpf_map__fd(d.skel->maps.cgnat_sessions), &sk,
				 &sv), 0);
	assert_int_equal(map_size("cgnat_rsess"), (int)o.sessions);
	assert_int_equal(map_size("cgnat_stats"), STAT_MAX);
	assert_int_equal(bpf_map_update_elem(
				 bpf_map__fd(d.skel->maps.cgnat_rsess), &rk,
				 &rv, BPF_NOEXIST), 0);
	dp_close(&d);

	assert_int_equal(dp_open(&d, &o), 0);
	assert_int_not_equal(bpf_map_get_next_key(
				     bpf_map__fd(d.skel->maps.cgnat_rsess),
				     NULL, &nk), 0);
	dp_close(&d);
}

/* The id of the map pinned as 'name', 0 when none is. */
static __u32 pin_id(const char *name)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	close(fd);
	return info.id;
}

/* Pins whose values mean something else than this build's: from a
 * build before the state version (no cgnat_state) or with another one
 * (1: both halves of the mappings in one table). Refused before
 * anything is loaded, pinned or unpinned (not even the maps a load
 * makes afresh), with the cold start named; this build's own pins are
 * reused.
 */
static void test_pins_state(void **st)
{
	struct dp_opts o = H.o;
	__u32 zero = 0, v = 0, rsess, nh;
	char path[128];
	struct stat sb;
	struct dp d;
	int fd;

	(void)st;
	o.pin_dir = pin_dir;
	assert_int_equal(dp_open(&d, &o), 0);
	assert_int_equal(bpf_map_lookup_elem(
				 bpf_map__fd(d.skel->maps.cgnat_state), &zero,
				 &v), 0);
	assert_int_equal(v, CGNAT_STATE_VERSION);
	dp_close(&d);
	assert_int_equal(dp_open(&d, &o), 0);
	assert_false(d.fresh);
	dp_close(&d);
	rsess = pin_id("cgnat_rsess");
	nh = pin_id("cgnat_nh_dst");
	assert_int_not_equal(rsess, 0);
	assert_int_not_equal(nh, 0);

	unpin("cgnat_state", path, sizeof(path));
	assert_int_equal(dp_open(&d, &o), -EPROTO);
	assert_non_null(strstr(d.err, "incompatible version (state version 0"));
	assert_non_null(strstr(d.err, "--detach"));
	assert_int_not_equal(stat(path, &sb), 0);
	assert_int_equal(pin_id("cgnat_rsess"), rsess);
	assert_int_equal(pin_id("cgnat_nh_dst"), nh);

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "cgnat_state", 4, 4, 1, NULL);
	assert_true(fd >= 0);
	v = CGNAT_STATE_VERSION + 1;
	assert_int_equal(bpf_map_update_elem(fd, &zero, &v, 0), 0);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	close(fd);
	assert_int_equal(dp_open(&d, &o), -EPROTO);
	snprintf(path, sizeof(path), "incompatible version (state version %u",
		 CGNAT_STATE_VERSION + 1);
	assert_non_null(strstr(d.err, path));
	assert_int_equal(pin_id("cgnat_rsess"), rsess);
	assert_int_equal(pin_id("cgnat_nh_dst"), nh);

	/* Pins of the one-table mappings (state version 1, no
	 * cgnat_map_in): refused before the load, which would have made
	 * and pinned that table.
	 */
	snprintf(path, sizeof(path), "%s/cgnat_state", pin_dir);
	fd = bpf_obj_get(path);
	assert_true(fd >= 0);
	v = 1;
	assert_int_equal(bpf_map_update_elem(fd, &zero, &v, 0), 0);
	close(fd);
	unpin("cgnat_map_in", path, sizeof(path));
	assert_int_equal(dp_open(&d, &o), -EPROTO);
	assert_non_null(strstr(d.err, "incompatible version (state version 1"));
	assert_int_not_equal(stat(path, &sb), 0);
	assert_int_equal(pin_id("cgnat_rsess"), rsess);

	assert_int_equal(dp_unpin(pin_dir, 1), 0);
	assert_int_equal(dp_open(&d, &o), 0);
	assert_true(d.fresh);
	dp_close(&d);
}

/* Pins of a build before the deeper first-block slots: cgnat_grant_new
 * of CGNAT_GRANT_NEW_WORDS_V0 words, no cgnat_addr_dry (made). A load that fails keeps the old pin
 * as it was; one that succeeds pins this build's map in its place with
 * every grant at its pool's slot and the dry words, each grant taken
 * out of the old map (the old program, still attached until the link
 * swap, finds its slots empty, never a block that is also in the new).
 */
static void test_pins_grant_slots(void **st)
{
	__u64 val, want[3][2] = { { 0 * CGNAT_NEW_DEPTH_V0 + 0, 5 },
				  { 0 * CGNAT_NEW_DEPTH_V0 + 3, 9 },
				  { 1 * CGNAT_NEW_DEPTH_V0 + 15, 33 } };
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_MMAPABLE);
	__u32 zero = 0, v, k, i, dry = CGNAT_MAX_POOLS * CGNAT_NEW_DEPTH_V0 + 2;
	struct dp_opts o = H.o;
	char path[128], spath[128];
	struct dp d;
	int fd, sfd;

	(void)st;
	o.pin_dir = pin_dir;
	assert_int_equal(dp_open(&d, &o), 0);
	dp_close(&d);
	unpin("cgnat_addr_dry", path, sizeof(path));	/* none then */
	unpin("cgnat_grant_new", path, sizeof(path));
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "cgnat_grant_new", 4, 8,
			    CGNAT_GRANT_NEW_WORDS_V0, &mo);
	assert_true(fd >= 0);
	for (i = 0; i < 3; i++) {
		k = (__u32)want[i][0];
		assert_int_equal(bpf_map_update_elem(fd, &k, &want[i][1], 0), 0);
	}
	val = 1;
	assert_int_equal(bpf_map_update_elem(fd, &dry, &val, 0), 0);
	assert_int_equal(bpf_obj_pin(fd, path), 0);

	/* Refused (another state version): old pin kept. */
	snprintf(spath, sizeof(spath), "%s/cgnat_state", pin_dir);
	sfd = bpf_obj_get(spath);
	assert_true(sfd >= 0);
	v = CGNAT_STATE_VERSION + 1;
	assert_int_equal(bpf_map_update_elem(sfd, &zero, &v, 0), 0);
	assert_int_equal(dp_open(&d, &o), -EPROTO);
	assert_int_equal(map_size("cgnat_grant_new"), CGNAT_GRANT_NEW_WORDS_V0);
	v = CGNAT_STATE_VERSION;
	assert_int_equal(bpf_map_update_elem(sfd, &zero, &v, 0), 0);
	close(sfd);

	assert_int_equal(dp_open(&d, &o), 0);
	assert_false(d.fresh);
	assert_non_null(strstr(d.note, "moved to the deeper layout (3 grants"));
	assert_int_equal(map_size("cgnat_grant_new"), CGNAT_GRANT_NEW_WORDS);
	assert_int_equal(map_size("cgnat_addr_dry"), (int)o.n_addrs);
	for (i = 0; i < 3; i++) {
		k = (__u32)want[i][0];
		assert_int_equal(d.v.grant_new[k / CGNAT_NEW_DEPTH_V0 *
						       CGNAT_NEW_DEPTH +
					       k % CGNAT_NEW_DEPTH_V0],
				 want[i][1]);
		assert_int_equal(bpf_map_lookup_elem(fd, &k, &val), 0);
		assert_int_equal(val, 0);
	}
	for (i = 0; i < CGNAT_MAX_POOLS; i++)
		assert_int_equal(d.v.grant_new[CGNAT_NEW_DRY + i], i == 2);
	dp_close(&d);
	close(fd);
	/* This build's own pin is reused as it is. */
	assert_int_equal(dp_open(&d, &o), 0);
	assert_int_equal(d.v.grant_new[CGNAT_NEW_DEPTH + 15], 33);
	assert_null(strstr(d.note, "deeper layout"));
	dp_close(&d);
}

static int setup_pins(void **st)
{
	snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/cgnat-rsess-test-%d",
		 (int)getpid());
	dp_unpin(pin_dir, 1);
	return setup(st);
}

static int teardown_pins(void **st)
{
	dp_unpin(pin_dir, 1);
	return teardown(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_udp_install_then_fast,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_established_only,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_change_forgets,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_fast, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_expired_not_used, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nh_bump, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inbound_refresh, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_userspace_delete, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pins_upgrade, setup_pins,
						teardown_pins),
		cmocka_unit_test_setup_teardown(test_pins_grant_slots,
						setup_pins, teardown_pins),
		cmocka_unit_test_setup_teardown(test_pins_state, setup_pins,
						teardown_pins),
	};

	if (h_netns())
		return 1;
	return cmocka_run_group_tests_name("bpf_rsess", tests, NULL, NULL);
}
