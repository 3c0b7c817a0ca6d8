// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_ring.c - the per-CPU event rings: packets run pinned to one CPU
 * (sched_setaffinity; BPF_PROG_TEST_RUN runs XDP on the caller's CPU)
 * leave their events in that CPU's ring and no other; dp_events_rb()
 * reads every ring; a session read from one ring before its block's
 * assign in another comes out after it through evorder; a CPU without a
 * ring counts its events lost; a second load over the same pins takes
 * over the same rings, and a pin of the old single ring is replaced; a
 * ring of another size (the 256 KiB of earlier builds) is kept while it
 * holds unread events, else replaced by one of this build's size.
 */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/cgnat.skel.h"
#include "daemon/evorder.h"
#include "tests/bpf/nat_util.h"

static int cpu_a, cpu_b;	/* the first two CPUs this process may use */
static cpu_set_t cpus0;

struct seen {
	int n;
	struct { __u32 type, tag; } ev[16];	/* tag: the internal port */
};

static void note(struct seen *s, const struct cgnat_event *e)
{
	const struct cgnat_sess_event *se = (const void *)e;

	assert_true(s->n < 16);
	s->ev[s->n].type = e->type;
	s->ev[s->n].tag = e->type == EVT_SESS_CREATE ? ntohs(se->int_port)
						     : 0;
	s->n++;
}

static int on_event(void *ctx, void *data, size_t len)
{
	assert_int_equal(len, sizeof(struct cgnat_event));
	note(ctx, data);
	return 0;
}

static void on_cpu(int cpu)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	assert_int_equal(sched_getcpu(), cpu);
}

/* A new UDP flow from H1 or H2 (by 'sub') on port 'port'. */
static void flow(const char *sub, uint16_t port)
{
	struct pkt_spec s = spec(17, sub, port, S1, 7, H_INSIDE);
	uint32_t ext;

	xlate_out(&s, &ext);
}

/* Reads only CPU 'cpu''s ring. */
static void read_ring(int cpu, struct seen *s)
{
	struct ring_buffer *rb;

	memset(s, 0, sizeof(*s));
	rb = ring_buffer__new(H.dp.ring_fd[cpu], on_event, s, NULL);
	assert_non_null(rb);
	assert_true(ring_buffer__consume(rb) >= 0);
	ring_buffer__free(rb);
}

static void expect(const struct seen *s, int i, __u32 type, __u32 tag)
{
	assert_true(i < s->n);
	assert_int_equal(s->ev[i].type, type);
	assert_int_equal(s->ev[i].tag, tag);
}

static int setup_ring(void **st)
{
	int rc = setup(st);

	H.o.cfg.sess_events = 1;
	return rc ? rc : dp_set_cfg(&H.dp, &H.o.cfg);
}

static int teardown_ring(void **st)
{
	sched_setaffinity(0, sizeof(cpus0), &cpus0);
	return teardown(st);
}

static void test_events_on_their_cpu(void **st)
{
	struct ring_buffer *rb;
	struct seen s;
	__u32 i;

	(void)st;
	assert_int_equal(H.dp.n_rings, libbpf_num_possible_cpus());
	on_cpu(cpu_a);
	flow(H1, 5000);		/* H1's block, its session */
	on_cpu(cpu_b);
	flow(H2, 5000);		/* H2's block, its session */
	flow(H1, 5001);		/* a session on H1's block */
	for (i = 0; i < H.dp.n_rings; i++) {
		read_ring(i, &s);
		if ((int)i == cpu_a) {
			assert_int_equal(s.n, 2);
			expect(&s, 0, EVT_BLOCK_ASSIGNED, 0);
			expect(&s, 1, EVT_SESS_CREATE, 5000);
		} else if ((int)i == cpu_b) {
			assert_int_equal(s.n, 3);
			expect(&s, 0, EVT_BLOCK_ASSIGNED, 0);
			expect(&s, 1, EVT_SESS_CREATE, 5000);
			expect(&s, 2, EVT_SESS_CREATE, 5001);
		} else {
			assert_int_equal(s.n, 0);
		}
	}
	/* dp_events_rb() reads them all. */
	on_cpu(cpu_a);
	flow(H1, 5002);
	on_cpu(cpu_b);
	flow(H1, 5003);
	memset(&s, 0, sizeof(s));
	rb = dp_events_rb(&H.dp, on_event, &s);
	assert_non_null(rb);
	assert_int_equal(ring_buffer__consume(rb), 2);
	ring_buffer__free(rb);
	assert_int_equal(s.n, 2);
	assert_int_equal(h_stat(&H, STAT_EVT_LOST), 0);
}

struct order {
	struct seen raw, out;
	struct evo evo;
};

static void on_ordered(void *ctx, const struct cgnat_event *e)
{
	note(&((struct order *)ctx)->out, e);
}

static int on_raw(void *ctx, void *data, size_t len)
{
	struct order *o = ctx;

	assert_int_equal(len, sizeof(struct cgnat_event));
	note(&o->raw, data);
	evo_push(&o->evo, data);
	return 0;
}

/* H1's block taken on the CPU whose ring is read last, then used on the
 * one read first: the rings give the session first, evorder the block.
 */
static void test_order_across_rings(void **st)
{
	struct evo_geom g = { .n_addrs = H.o.n_addrs, .addrs = H.o.addrs,
			      .port_lo = H.o.cfg.port_lo,
			      .block_size = H.o.cfg.block_size,
			      .blocks_per_addr = H.o.cfg.blocks_per_addr };
	struct ring_buffer *rb;
	struct order o;

	(void)st;
	memset(&o, 0, sizeof(o));
	assert_int_equal(evo_init(&o.evo, &g, 16, on_ordered, &o), 0);
	on_cpu(cpu_b);
	flow(H1, 5000);
	on_cpu(cpu_a);
	flow(H1, 5001);
	rb = dp_events_rb(&H.dp, on_raw, &o);
	assert_non_null(rb);
	evo_pass_begin(&o.evo);
	assert_int_equal(ring_buffer__consume(rb), 3);
	evo_pass_end(&o.evo);
	ring_buffer__free(rb);
	expect(&o.raw, 0, EVT_SESS_CREATE, 5001);
	expect(&o.raw, 1, EVT_BLOCK_ASSIGNED, 0);
	assert_int_equal(o.out.n, 3);
	expect(&o.out, 0, EVT_BLOCK_ASSIGNED, 0);
	expect(&o.out, 1, EVT_SESS_CREATE, 5001);
	expect(&o.out, 2, EVT_SESS_CREATE, 5000);
	assert_int_equal(o.evo.parked, 1);
	assert_int_equal(o.evo.forced, 0);
	evo_free(&o.evo);
}

/* A CPU whose slot is empty loses its events, counted; the flow goes. */
static void test_missing_ring_lost(void **st)
{
	int outer = bpf_map__fd(H.dp.skel->maps.cgnat_events);
	__u32 k = cpu_a;
	struct seen s;

	(void)st;
	assert_int_equal(bpf_map_delete_elem(outer, &k), 0);
	on_cpu(cpu_a);
	flow(H1, 5000);
	assert_int_equal(h_stat(&H, STAT_EVT_LOST), 2);	/* block, session */
	assert_int_equal(bpf_map_update_elem(outer, &k, &H.dp.ring_fd[k],
					     BPF_ANY), 0);
	flow(H1, 5001);
	read_ring(cpu_a, &s);
	assert_int_equal(s.n, 1);
	expect(&s, 0, EVT_SESS_CREATE, 5001);
	assert_int_equal(h_stat(&H, STAT_EVT_LOST), 2);
}

static __u32 ring_size(int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.max_entries;
}

/* Takes the rings over again, as the next start on the pins would. */
static void rings_reopen(void)
{
	dp_rings_close(&H.dp);
	assert_int_equal(dp_rings_open(&H.dp), 0);
}

/* An earlier build's smaller ring in CPU a's slot: kept while events
 * wait in it (they are read after the start), replaced once it is read.
 */
static void test_small_ring_kept_until_read(void **st)
{
	int outer = bpf_map__fd(H.dp.skel->maps.cgnat_events);
	int small = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "cgnat_ev_cpu", 0, 0,
				   256 * 1024, NULL);
	__u32 k = cpu_a;
	struct seen s;

	(void)st;
	assert_true(small >= 0);
	assert_int_equal(ring_size(H.dp.ring_fd[k]), CGNAT_EVT_RING_BYTES);
	assert_int_equal(dp_ring_unread(H.dp.ring_fd[k]), 0);
	assert_int_equal(dp_ring_unread(small), 0);
	assert_int_equal(bpf_map_update_elem(outer, &k, &small, BPF_ANY), 0);
	on_cpu(cpu_a);
	flow(H1, 5000);		/* H1's block, its session: into 'small' */
	assert_int_equal(dp_ring_unread(small), 1);
	rings_reopen();
	assert_int_equal(ring_size(H.dp.ring_fd[k]), 256 * 1024);
	read_ring(cpu_a, &s);
	assert_int_equal(s.n, 2);
	expect(&s, 0, EVT_BLOCK_ASSIGNED, 0);
	expect(&s, 1, EVT_SESS_CREATE, 5000);
	assert_int_equal(dp_ring_unread(small), 0);
	rings_reopen();
	assert_int_equal(ring_size(H.dp.ring_fd[k]), CGNAT_EVT_RING_BYTES);
	flow(H1, 5001);		/* into the new ring */
	read_ring(cpu_a, &s);
	assert_int_equal(s.n, 1);
	expect(&s, 0, EVT_SESS_CREATE, 5001);
	assert_int_equal(h_stat(&H, STAT_EVT_LOST), 0);
	close(small);
}

/* Rings are large for the CPUs the kernel lists online (sysfs's
 * format), small for the others.
 */
static void test_cpu_list(void **st)
{
	(void)st;
	assert_int_equal(dp_cpu_listed("0-3,8\n", 0), 1);
	assert_int_equal(dp_cpu_listed("0-3,8\n", 3), 1);
	assert_int_equal(dp_cpu_listed("0-3,8\n", 4), 0);
	assert_int_equal(dp_cpu_listed("0-3,8\n", 8), 1);
	assert_int_equal(dp_cpu_listed("0-3,8\n", 9), 0);
	assert_int_equal(dp_cpu_listed("1\n", 1), 1);
	assert_int_equal(dp_cpu_listed("1\n", 0), 0);
	assert_int_equal(dp_cpu_listed("", 0), 0);
	assert_int_equal(ring_size(H.dp.ring_fd[cpu_a]), CGNAT_EVT_RING_BYTES);
	assert_int_equal(ring_size(H.dp.ring_fd[cpu_b]), CGNAT_EVT_RING_BYTES);
}

static char pin_dir[64];

static __u32 ring_id(const struct dp *d, __u32 i)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(d->ring_fd[i], &info, &len),
			 0);
	return info.id;
}

/* A restart over the pins keeps the rings (events written while cgnatd
 * was down are still read); a pin of the old single ring is replaced.
 */
static void test_pins_keep_rings(void **st)
{
	struct dp_opts o = H.o;
	__u32 ids[2], n;
	char path[128];
	struct dp d;
	int fd;

	(void)st;
	o.pin_dir = pin_dir;
	snprintf(path, sizeof(path), "%s/cgnat_events", pin_dir);
	assert_int_equal(mkdir(pin_dir, 0700), 0);
	fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "cgnat_events", 0, 0,
			    256 * 1024, NULL);
	assert_true(fd >= 0);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	close(fd);
	assert_int_equal(dp_open(&d, &o), 0);
	n = d.n_rings;
	assert_int_equal(h_pinned_size(pin_dir, "cgnat_events"), (int)n);
	ids[0] = ring_id(&d, 0);
	ids[1] = ring_id(&d, n - 1);
	dp_close(&d);
	assert_int_equal(dp_open(&d, &o), 0);
	assert_false(d.fresh);
	assert_int_equal(d.n_rings, n);
	assert_int_equal(ring_id(&d, 0), ids[0]);
	assert_int_equal(ring_id(&d, n - 1), ids[1]);
	dp_close(&d);
}

static int setup_pins(void **st)
{
	char err[256];

	snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/cgnat-ring-test-%d",
		 (int)getpid());
	/* The test pins a map itself before dp_open() would mount bpffs. */
	if (dp_ensure_bpffs(pin_dir, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	dp_unpin(pin_dir, 1);
	return setup_ring(st);
}

static int teardown_pins(void **st)
{
	dp_unpin(pin_dir, 1);
	return teardown_ring(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_events_on_their_cpu,
						setup_ring, teardown_ring),
		cmocka_unit_test_setup_teardown(test_order_across_rings,
						setup_ring, teardown_ring),
		cmocka_unit_test_setup_teardown(test_missing_ring_lost,
						setup_ring, teardown_ring),
		cmocka_unit_test_setup_teardown(test_small_ring_kept_until_read,
						setup_ring, teardown_ring),
		cmocka_unit_test_setup_teardown(test_cpu_list, setup_ring,
						teardown_ring),
		cmocka_unit_test_setup_teardown(test_pins_keep_rings,
						setup_pins, teardown_pins),
	};
	int i;

	assert_int_equal(sched_getaffinity(0, sizeof(cpus0), &cpus0), 0);
	cpu_a = cpu_b = -1;
	for (i = 0; i < CPU_SETSIZE && cpu_b < 0; i++)
		if (CPU_ISSET(i, &cpus0)) {
			if (cpu_a < 0)
				cpu_a = i;
			else
				cpu_b = i;
		}
	if (cpu_b < 0) {
		printf("SKIP: bpf_ring needs two CPUs\n");
		return 0;
	}
	if (h_netns())
		return 1;
	return cmocka_run_group_tests_name("bpf_ring", tests, NULL, NULL);
}
