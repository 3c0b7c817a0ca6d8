// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_syn.c - unsolicited inbound SYNs (bpf/synpend.h, RFC 5382 REQ-4)
 * through the XDP program: dropped always; with syn_icmp_rate set, held
 * in cgnat_syn_pending under the right tuple with the SYN's bytes and the
 * time it came; cleared by an outbound SYN of the same connection only;
 * not held with the setting off, for what is not a SYN, over the rate,
 * or when the table is full. Pins of an older build are taken over.
 */
#include <arpa/inet.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/cgnat.skel.h"

#include "tests/bpf/nat_util.h"

#define POOL1 "203.0.113.1"

static int pend_fd(void)
{
	return bpf_map__fd(H.dp.skel->maps.cgnat_syn_pending);
}

static void set_syn(uint32_t rate, uint32_t filtering)
{
	H.o.cfg.syn_icmp_rate = rate;
	H.o.cfg.filtering = filtering;
	assert_int_equal(dp_set_cfg(&H.dp, &H.o.cfg), 0);
}

static struct cgnat_syn_key skey(uint32_t ext, uint16_t eport,
				 const char *rem, uint16_t rport)
{
	struct cgnat_syn_key k = { .ext_addr = ext, .rem_addr = pkt_ip(rem),
				   .ext_port = htons(eport),
				   .rem_port = htons(rport) };
	return k;
}

static int pending(const struct cgnat_syn_key *k, struct cgnat_syn *v)
{
	return bpf_map_lookup_elem(pend_fd(), k, v) == 0;
}

static unsigned int n_pending(void)
{
	struct cgnat_syn_key k, next;
	unsigned int n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(pend_fd(), prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

/* A SYN from the internet, S1:sport -> dst:dport, with 'payload' bytes. */
static struct pkt_spec syn_in(uint16_t sport, const char *dst,
			      uint16_t dport, uint16_t payload)
{
	struct pkt_spec s = spec(6, S1, sport, dst, dport, H_OUTSIDE);

	s.payload = payload;
	return s;
}

static void expect_drop(const struct pkt_spec *s, int reason)
{
	uint64_t before = h_stat(&H, STAT_DROP_BASE + reason);
	uint8_t out[512];
	size_t olen;

	assert_int_equal(run(H_OUTSIDE, s, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + reason), before + 1);
}

/* The held copy is the SYN from its IP header, cut at CGNAT_SYN_QUOTE. */
static void expect_copy(const struct cgnat_syn *v, const struct pkt_spec *s)
{
	uint8_t b[512];
	size_t len = pkt_build(b, sizeof(b), s) - 14;

	if (len > CGNAT_SYN_QUOTE)
		len = CGNAT_SYN_QUOTE;
	assert_int_equal(v->len, len);
	assert_memory_equal(v->pkt, b + 14, len);
}

/* An unmapped port: dropped, held under (pool addr:port, S1:sport) with
 * the SYN's bytes and its arrival time; a retransmission neither adds an
 * entry nor restarts the clock.
 */
static void test_unmapped_held(void **st)
{
	struct pkt_spec s = syn_in(4444, POOL1, 40000, 0);
	struct cgnat_syn_key k = skey(pkt_ip(POOL1), 40000, S1, 4444);
	struct cgnat_syn v, v2;
	uint64_t t0, t1;

	(void)st;
	set_syn(100, CGNAT_FILTER_EIF);
	t0 = h_now_ns();
	expect_drop(&s, REASON_UNSOLICITED);
	t1 = h_now_ns();
	assert_true(pending(&k, &v));
	assert_true(v.time_ns >= t0 && v.time_ns <= t1);
	expect_copy(&v, &s);
	assert_int_equal(v.len, 40);
	assert_int_equal(h_stat(&H, STAT_SYN_PENDING), 1);
	assert_int_equal(n_pending(), 1);

	expect_drop(&s, REASON_UNSOLICITED);
	assert_true(pending(&k, &v2));
	assert_true(v2.time_ns == v.time_ns);
	assert_int_equal(h_stat(&H, STAT_SYN_PENDING), 1);
	assert_int_equal(n_pending(), 1);

	/* Another source port is another connection. */
	s = syn_in(4445, POOL1, 40000, 100);
	expect_drop(&s, REASON_UNSOLICITED);
	k = skey(pkt_ip(POOL1), 40000, S1, 4445);
	assert_true(pending(&k, &v));
	expect_copy(&v, &s);	/* 140 bytes, kept 80 */
	assert_int_equal(v.len, CGNAT_SYN_QUOTE);
	assert_int_equal(n_pending(), 2);
}

/* Filtered by APDF at a mapping H1:5000 holds; H1's own SYN to that
 * remote (simultaneous open) clears it, a SYN to another remote port
 * does not.
 */
static void test_simopen_clears(void **st)
{
	struct pkt_spec o = spec(6, H1, 5000, S2, 7, H_INSIDE), s;
	struct cgnat_syn_key k;
	struct cgnat_syn v;
	uint16_t eport;
	uint32_t ext;

	(void)st;
	set_syn(100, CGNAT_FILTER_APDF);
	eport = xlate_out(&o, &ext);
	s = syn_in(4444, ip_str(ext, 0), eport, 0);
	expect_drop(&s, REASON_FILTERED);
	k = skey(ext, eport, S1, 4444);
	assert_true(pending(&k, &v));
	expect_copy(&v, &s);

	o = spec(6, H1, 5000, S1, 4445, H_INSIDE);
	assert_int_equal(xlate_out(&o, &ext), eport);
	assert_true(pending(&k, &v));
	assert_int_equal(h_stat(&H, STAT_SYN_SIMOPEN), 0);

	o = spec(6, H1, 5000, S1, 4444, H_INSIDE);
	assert_int_equal(xlate_out(&o, &ext), eport);
	assert_false(pending(&k, &v));
	assert_int_equal(h_stat(&H, STAT_SYN_SIMOPEN), 1);
	assert_int_equal(n_pending(), 0);
}

/* nat.unsolicited_syn: drop (rate 0): dropped and counted as before,
 * nothing held.
 */
static void test_drop_holds_nothing(void **st)
{
	struct pkt_spec o = spec(6, H1, 5000, S2, 7, H_INSIDE), s;
	uint16_t eport;
	uint32_t ext;

	(void)st;
	set_syn(0, CGNAT_FILTER_APDF);
	s = syn_in(4444, POOL1, 40000, 0);
	expect_drop(&s, REASON_UNSOLICITED);
	eport = xlate_out(&o, &ext);
	s = syn_in(4444, ip_str(ext, 0), eport, 0);
	expect_drop(&s, REASON_FILTERED);
	assert_int_equal(n_pending(), 0);
	assert_int_equal(h_stat(&H, STAT_SYN_PENDING), 0);
	assert_int_equal(h_stat(&H, STAT_SYN_LIMITED), 0);
}

/* Only a bare SYN is an opening: SYN-ACK, ACK, RST, UDP are not held. */
static void test_not_a_syn(void **st)
{
	static const uint8_t flags[] = { 0x12, 0x10, 0x04, 0x03 };
	struct pkt_spec s;
	size_t i;

	(void)st;
	set_syn(100, CGNAT_FILTER_EIF);
	for (i = 0; i < sizeof(flags); i++) {
		s = syn_in(4444 + i, POOL1, 40000, 0);
		s.tcp_flags = flags[i];
		expect_drop(&s, REASON_UNSOLICITED);
	}
	s = spec(17, S1, 4444, POOL1, 40000, H_OUTSIDE);
	expect_drop(&s, REASON_UNSOLICITED);
	assert_int_equal(n_pending(), 0);
	assert_int_equal(h_stat(&H, STAT_SYN_PENDING), 0);
}

/* At rate 3 on one CPU, the 4th and 5th new SYNs are counted, not held. */
static void test_rate_limited(void **st)
{
	struct pkt_spec s;
	cpu_set_t one;
	int i;

	(void)st;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	set_syn(3, CGNAT_FILTER_EIF);
	for (i = 0; i < 5; i++) {
		s = syn_in(5000 + i, POOL1, 40000, 0);
		expect_drop(&s, REASON_UNSOLICITED);
	}
	assert_int_equal(n_pending(), 3);
	assert_int_equal(h_stat(&H, STAT_SYN_PENDING), 3);
	assert_int_equal(h_stat(&H, STAT_SYN_LIMITED), 2);
}

/* A full table keeps what it holds and counts the newcomer. */
static void test_table_full(void **st)
{
	struct pkt_spec s;
	int i;

	(void)st;
	set_syn(100000, CGNAT_FILTER_EIF);
	for (i = 0; i <= CGNAT_SYN_PENDING_MAX; i++) {
		s = syn_in(1024 + i, POOL1, 40000 + (i & 1), 0);
		expect_drop(&s, REASON_UNSOLICITED);
	}
	assert_int_equal(n_pending(), CGNAT_SYN_PENDING_MAX);
	assert_int_equal(h_stat(&H, STAT_SYN_PENDING), CGNAT_SYN_PENDING_MAX);
	assert_int_equal(h_stat(&H, STAT_SYN_PENDING_FULL), 1);
}

static char pin_dir[64];

static int pinned_size(const char *name)
{
	return h_pinned_size(pin_dir, name);
}

/* Pins of a build before this one (one rate bucket fewer, no pending
 * table) are taken over without a cold start: the buckets made afresh,
 * the table added.
 */
static void test_pins_older_build(void **st)
{
	struct dp_opts o = H.o;
	char path[128];
	struct dp d;
	int fd, n;

	(void)st;
	o.pin_dir = pin_dir;
	assert_int_equal(dp_open(&d, &o), 0);
	assert_true(d.fresh);
	n = bpf_map__max_entries(d.skel->maps.cgnat_rl);
	dp_close(&d);
	snprintf(path, sizeof(path), "%s/cgnat_syn_pending", pin_dir);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/cgnat_rl", pin_dir);
	assert_int_equal(unlink(path), 0);
	fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "cgnat_rl", 4, 16,
			    n - 1, NULL);
	assert_true(fd >= 0);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	close(fd);

	assert_int_equal(dp_open(&d, &o), 0);
	assert_false(d.fresh);
	dp_close(&d);
	assert_int_equal(pinned_size("cgnat_rl"), n);
	assert_int_equal(pinned_size("cgnat_syn_pending"),
			 CGNAT_SYN_PENDING_MAX);
}

static int setup_pins(void **st)
{
	snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/cgnat-syn-test-%d",
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
		cmocka_unit_test_setup_teardown(test_unmapped_held, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_simopen_clears, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_drop_holds_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_not_a_syn, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rate_limited, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_table_full, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pins_older_build,
						setup_pins, teardown_pins),
	};

	if (h_netns())
		return 1;
	return cmocka_run_group_tests_name("bpf_syn", tests, NULL, NULL);
}
