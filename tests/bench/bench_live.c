// SPDX-License-Identifier: GPL-2.0
/*
 * bench_live.c - driver of the live bench (tests/bench/live.sh): attaches
 * the sinks and the baseline programs inside the testbed's namespaces and
 * pins them, configures and reads the sinks, and runs the generator
 * (gen.bpf.c) with BPF_PROG_TEST_RUN and live frames on CPU 0 (a timed
 * run with --cores N: one generator on each of CPUs 0..N-1, each with
 * its own share of the flows). A timed
 * run samples the sink's counters from CPU 1 and reports the steady rate
 * between two samples, away from the ~25 ms the kernel spends setting a
 * live run up; the run is then ended with a signal. A pass run sends
 * every flow exactly once per pass (state creation, learning, the TCP
 * handshake); with --cores N, one generator on each of CPUs 0..N-1 sends
 * its own slice of the flows once per pass (new flows on N cores).
 * Results are one JSON object per line on stdout.
 *
 *   bench_live attach NS IF sink|pass PIN
 *   bench_live attach NS IF fwd|fwd_state|fwd_state3 PIN TO_IF DMAC SMAC
 *              [reverse]
 *   bench_live detach PIN
 *   bench_live sink PIN none|pool|src|dst LEARN_GEN   (resets counters)
 *   bench_live gen NS IF DMAC SMAC --sink PIN [--proto udp|tcp]
 *              [--tcp syn|synack|ack] [--in --ext PIN] [--flows N]
 *              [--base B] [--step K] [--gen G] [--cores N]
 *              (--secs S [--warm W] |
 *              --passes P [--until-learned])   (--until-learned: 1 core)
 *   bench_live cgstats PINDIR          (cgnat's counters, non-zero ones)
 *   bench_live probe     (exit 0 if the kernel takes live frames, else
 *                         why not on stdout and exit 1)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/loader.h"
#include "daemon/fraghold.h"
#include "tests/bench/live_common.h"
#include "tests/bench/gen.skel.h"
#include "tests/bench/sink.skel.h"
#include "tests/bench/fwd.skel.h"

#define GEN_CPU 0
#define LB_MAX_CORES 256
#define SAMPLE_CPU 1
#define BATCH 64
#define TCP_SEQ_OUT 1000u
#define TCP_SEQ_IN 5000u

static int enter_ns(const char *name)
{
	char path[256];
	int fd, rc;

	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		return -errno;
	}
	rc = setns(fd, CLONE_NEWNET);
	if (rc)
		fprintf(stderr, "setns %s: %s\n", name, strerror(errno));
	close(fd);
	return rc ? -errno : 0;
}

static int ifindex_of(const char *name)
{
	int i = if_nametoindex(name);

	if (!i)
		fprintf(stderr, "interface %s: %s\n", name, strerror(errno));
	return i;
}

static int parse_mac(const char *s, __u8 *mac)
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6) {
		fprintf(stderr, "bad MAC address '%s'\n", s);
		return -EINVAL;
	}
	for (i = 0; i < 6; i++)
		mac[i] = b[i];
	return 0;
}

static void pin_path(char *out, size_t len, const char *dir, const char *f)
{
	snprintf(out, len, "%s/%s", dir, f);
}

static int pin_map(struct bpf_map *m, const char *dir)
{
	char path[256];
	int rc;

	pin_path(path, sizeof(path), dir, bpf_map__name(m));
	rc = bpf_map__pin(m, path);
	if (rc)
		fprintf(stderr, "pin %s: %s\n", path, strerror(-rc));
	return rc;
}

/* Attaches 'prog' to 'ifindex' through a bpf_link pinned at DIR/link. */
static int attach_pinned(struct bpf_program *prog, int ifindex, const char *dir)
{
	struct bpf_link *l = bpf_program__attach_xdp(prog, ifindex);
	char path[256];
	int rc;

	if (!l) {
		fprintf(stderr, "attach xdp on ifindex %d: %s\n", ifindex,
			strerror(errno));
		return -errno;
	}
	pin_path(path, sizeof(path), dir, "link");
	rc = bpf_link__pin(l, path);
	if (rc)
		fprintf(stderr, "pin %s: %s\n", path, strerror(-rc));
	bpf_link__disconnect(l);
	bpf_link__destroy(l);
	return rc;
}

static int attach_sink(int ifindex, int pass, const char *dir)
{
	struct sink_bpf *s = sink_bpf__open();
	int rc;

	if (!s)
		return -errno;
	bpf_program__set_autoload(pass ? s->progs.sink : s->progs.xdp_pass,
				  false);
	if (pass)
		bpf_map__set_max_entries(s->maps.lb_ext, 1);
	rc = sink_bpf__load(s);
	if (rc) {
		fprintf(stderr, "load sink: %s\n", strerror(-rc));
		goto out;
	}
	rc = attach_pinned(pass ? s->progs.xdp_pass : s->progs.sink, ifindex,
			   dir);
	if (!rc && !pass)
		rc = pin_map(s->maps.lb_cnt, dir) ?:
		     pin_map(s->maps.lb_cfg, dir) ?:
		     pin_map(s->maps.lb_ext, dir);
out:
	sink_bpf__destroy(s);
	return rc;
}

/* A baseline forwarder (fwd.bpf.c): MAC rewrite + devmap redirect, and
 * with 'state' one flow-table lookup per packet; both directions of the
 * stateful one share its table through the pin DIR/../fwd_flows. With
 * 'state' 2 (fwd_state3) a new flow's outbound packet also makes a
 * mapping pair (fwd_pair), in a table of that direction's own.
 */
static int attach_fwd(int ifindex, const char *dir, const char *to,
		      const char *dmac, const char *smac, int state,
		      int reverse)
{
	struct fwd_bpf *f = fwd_bpf__open();
	struct bpf_devmap_val v = {};
	__u8 d[8] = {}, s[8] = {};
	int rc;

	if (!f)
		return -errno;
	v.ifindex = ifindex_of(to);
	if (!v.ifindex || parse_mac(dmac, d) || parse_mac(smac, s)) {
		rc = -EINVAL;
		goto out;
	}
	memcpy((void *)&f->rodata->fwd_dmac, d, 8);
	memcpy((void *)&f->rodata->fwd_smac, s, 8);
	f->rodata->fwd_ifindex = v.ifindex;
	f->rodata->fwd_reverse = reverse;
	f->rodata->fwd_pair = state == 2;
	if (state != 2 || reverse) {
		bpf_map__set_max_entries(f->maps.fwd_maps, 1);
		bpf_map__set_max_entries(f->maps.fwd_maps_in, 1);
	}
	bpf_program__set_autoload(state ? f->progs.fwd : f->progs.fwd_state,
				  false);
	if (state) {
		char path[512];

		snprintf(path, sizeof(path), "%s/../fwd_flows", dir);
		bpf_map__set_pin_path(f->maps.fwd_flows, path);
	} else {
		bpf_map__set_max_entries(f->maps.fwd_flows, 1);
	}
	rc = fwd_bpf__load(f);
	if (!rc)
		rc = bpf_map_update_elem(bpf_map__fd(f->maps.fwd_tx),
					 &v.ifindex, &v, 0);
	if (rc) {
		fprintf(stderr, "load forwarder: %s\n", strerror(errno));
		goto out;
	}
	rc = attach_pinned(state ? f->progs.fwd_state : f->progs.fwd, ifindex,
			   dir);
out:
	fwd_bpf__destroy(f);
	return rc;
}

static int cmd_attach(int argc, char **argv)
{
	/* By attach_fwd()'s 'state': none, one lookup, and a mapping pair. */
	static const char *const fwd_names[] = {"fwd", "fwd_state",
						"fwd_state3"};
	int ifindex, state;

	if (argc < 6 || (!strncmp(argv[4], "fwd", 3) && argc < 9))
		return -EINVAL;
	if (enter_ns(argv[2]))
		return -1;
	ifindex = ifindex_of(argv[3]);
	if (!ifindex)
		return -1;
	if (mkdir(argv[5], 0700) && errno != EEXIST) {
		fprintf(stderr, "mkdir %s: %s\n", argv[5], strerror(errno));
		return -1;
	}
	if (!strcmp(argv[4], "sink") || !strcmp(argv[4], "pass"))
		return attach_sink(ifindex, argv[4][0] == 'p', argv[5]);
	for (state = 0; state < 3; state++)
		if (!strcmp(argv[4], fwd_names[state]))
			return attach_fwd(ifindex, argv[5], argv[6], argv[7],
					  argv[8], state,
					  argc > 9 &&
						  !strcmp(argv[9], "reverse"));
	return -EINVAL;
}

/* Removing the pins releases the link (detaching XDP) and the maps. */
static int cmd_detach(const char *dir)
{
	struct dirent *d;
	char path[512];
	DIR *dh = opendir(dir);

	if (!dh)
		return errno == ENOENT ? 0 : -errno;
	while ((d = readdir(dh))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		unlink(path);
	}
	closedir(dh);
	return rmdir(dir) ? -errno : 0;
}

static int obj_get(const char *dir, const char *name)
{
	char path[256];
	int fd;

	pin_path(path, sizeof(path), dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
	return fd;
}

/* Sums a per-CPU array of u64 counters into out[n]. */
static int percpu_sum(int fd, __u32 n, __u64 *out)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *v = calloc(ncpu, sizeof(*v));
	__u32 k;
	int c;

	if (!v)
		return -ENOMEM;
	for (k = 0; k < n; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, v))
			continue;
		for (c = 0; c < ncpu; c++)
			out[k] += v[c];
	}
	free(v);
	return 0;
}

static int cmd_sink(int argc, char **argv)
{
	static const char *const modes[] = {"none", "pool", "src", "dst"};
	struct lb_sink_cfg c = {};
	int ncpu = libbpf_num_possible_cpus();
	int cfd, nfd, rc = 0;
	__u64 *zero;
	__u32 k;

	if (argc < 5)
		return -EINVAL;
	for (k = 0; k < 4; k++)
		if (!strcmp(argv[3], modes[k]))
			c.expect = k;
	c.learn = atoi(argv[4]) & 0xffff;
	cfd = obj_get(argv[2], "lb_cfg");
	nfd = obj_get(argv[2], "lb_cnt");
	zero = calloc(ncpu, sizeof(*zero));
	if (cfd < 0 || nfd < 0 || !zero)
		return -1;
	k = 0;
	if (bpf_map_update_elem(cfd, &k, &c, 0))
		rc = -errno;
	for (k = 0; k < LB_C_MAX && !rc; k++)
		if (bpf_map_update_elem(nfd, &k, zero, 0))
			rc = -errno;
	free(zero);
	return rc;
}

/* --- generator ---------------------------------------------------------- */

struct gen_args {
	const char *ns, *ifname, *sink, *ext;
	__u8 dmac[6], smac[6];
	int udp, inbound, until_learned;
	char tcp; /* 's' syn, 'a' synack, 'k' ack */
	__u32 flows, base, step, gen, passes; /* flow i: base + i * step */
	__u32 cores; /* one generator on each of CPUs 0..cores-1 */
	double secs, warm;
};

static __u32 sum16(const __u8 *p, size_t len)
{
	__u32 s = 0;
	__u16 w;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		memcpy(&w, p + i, 2);
		s += w;
	}
	return s;
}

static __u16 csum_fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return ~s;
}

/* The frame with zero in the per-flow fields, checksums over the zeros. */
static void build_template(const struct gen_args *a, __u8 *f)
{
	__u8 *ip = f + LB_IP_OFF, *l4 = f + LB_L4_OFF;
	__u32 server = htonl(LB_SERVER), l4len = LB_FRAME_LEN - LB_L4_OFF;
	__u16 sport = a->inbound ? htons(LB_SERVER_PORT) : 0;
	__u16 dport = a->inbound ? 0 : htons(LB_SERVER_PORT);
	__u16 magic = htons(LB_MAGIC), sum;
	__u32 s;

	memset(f, 0, LB_FRAME_LEN);
	memcpy(f, a->dmac, 6);
	memcpy(f + 6, a->smac, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = LB_FRAME_LEN - LB_IP_OFF;
	ip[8] = 64;
	ip[9] = a->udp ? IPPROTO_UDP : IPPROTO_TCP;
	memcpy(ip + (a->inbound ? 12 : 16), &server, 4);
	memcpy(l4, &sport, 2);
	memcpy(l4 + 2, &dport, 2);
	if (a->udp) {
		l4[5] = l4len;
		memcpy(f + LB_UDP_PAY_OFF, &magic, 2);
	} else {
		__u32 out = a->tcp == 's' ? TCP_SEQ_OUT : TCP_SEQ_OUT + 1;
		__u32 in = a->tcp == 'a' ? TCP_SEQ_IN : TCP_SEQ_IN + 1;
		__u32 seq = htonl(a->inbound ? in : out);
		__u32 ack = htonl(a->inbound ? out : in);

		memcpy(l4 + 4, &seq, 4);
		if (a->tcp != 's')
			memcpy(l4 + 8, &ack, 4);
		l4[12] = 5 << 4;
		l4[13] = a->tcp == 's' ? 0x02 : a->tcp == 'a' ? 0x12 : 0x10;
		l4[14] = l4[15] = 0xff;
		memcpy(f + LB_TCP_PAY_OFF, &magic, 2);
	}
	sum = csum_fold(sum16(ip, 20));
	memcpy(ip + 10, &sum, 2);
	s = sum16(ip + 12, 8) + htons(ip[9]) + htons(l4len) + sum16(l4, l4len);
	sum = csum_fold(s);
	if (a->udp && !sum)
		sum = 0xffff;
	memcpy(l4 + (a->udp ? 6 : 16), &sum, 2);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/* The calling thread on the bench core, SCHED_FIFO: other tasks of this
 * shared machine then get only what RT throttling leaves them (5%), and
 * what they still take shows up as wait. Failing that, runs as it is.
 */
static int bench_core(int cpu)
{
	struct sched_param sp = {.sched_priority = 10};
	int rc = pin_cpu(cpu);

	if (!rc && sched_setscheduler(0, SCHED_FIFO, &sp))
		fprintf(stderr, "SCHED_FIFO: %s (running without)\n",
			strerror(errno));
	return rc;
}

struct runner {
	int prog;
	int cpu;
	int repeat;
	const __u8 *frame;
	int err;
	volatile int tid;
	volatile int started; /* about to enter the run */
	volatile int done;
};

/* One live run; *ns gets the kernel's time for it (setup excluded). */
static int live_run(int prog, const __u8 *frame, int repeat, double *ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = LB_FRAME_LEN, .repeat = repeat,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = BATCH);

	if (bpf_prog_test_run_opts(prog, &o))
		return -errno;
	if (ns)
		*ns += (double)o.duration * repeat;
	return 0;
}

static void *run_thread(void *arg)
{
	struct runner *r = arg;

	r->tid = gettid();
	r->err = bench_core(r->cpu);
	r->started = 1;
	if (!r->err)
		r->err = live_run(r->prog, r->frame, r->repeat, NULL);
	if (r->err == -EINTR)
		r->err = 0; /* stopped by the sampler */
	r->done = 1;
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
}

struct sample {
	double t;
	__u64 c[LB_C_MAX];
	__u64 sent;
	double run, wait; /* generator thread: on CPU, runnable */
};

/* Seconds the thread ran and waited runnable: another task on the
 * bench core shows as wait.
 */
static void sched_times(int tid, double *run, double *wait)
{
	char path[64];
	unsigned long long r = 0, w = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", tid);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%llu %llu", &r, &w) != 2)
			r = w = 0;
		fclose(f);
	}
	*run = r / 1e9;
	*wait = w / 1e9;
}

/* Counters of the sink, frames sent and scheduler times summed over the
 * 'n' generators.
 */
static void take(struct sample *s, int cnt_fd, struct gen_bpf **g,
		 struct runner *r, int n)
{
	double run, wait;
	int i;

	s->t = now_s();
	percpu_sum(cnt_fd, LB_C_MAX, s->c);
	s->sent = 0;
	s->run = s->wait = 0;
	for (i = 0; i < n; i++) {
		s->sent += g[i]->bss->sent;
		sched_times(r[i].tid, &run, &wait);
		s->run += run;
		s->wait += wait;
	}
}

static void take1(struct sample *s, int cnt_fd, struct gen_bpf *g, int tid)
{
	struct runner r = {.tid = tid};

	take(s, cnt_fd, &g, &r, 1);
}

static void print_rates(const struct sample *a, const struct sample *b,
			struct gen_bpf **g, int n, int err)
{
	double dt = b->t - a->t;
	__u64 missing = 0;
	int i;

	for (i = 0; i < n; i++)
		missing += g[i]->bss->missing;
	printf("{\"pps\": %.0f, \"rx_pps\": %.0f, \"sent_pps\": %.0f, "
	       "\"secs\": %.3f, \"run\": %.3f, \"wait\": %.3f, "
	       "\"sent\": %llu, \"rx\": %llu, \"ok\": %llu, "
	       "\"missing\": %llu, \"cores\": %d, \"err\": %d}\n",
	       dt > 0 ? (b->c[LB_C_OK] - a->c[LB_C_OK]) / dt : 0,
	       dt > 0 ? (b->c[LB_C_RX] - a->c[LB_C_RX]) / dt : 0,
	       dt > 0 ? (b->sent - a->sent) / dt : 0, dt, b->run - a->run,
	       b->wait - a->wait, (unsigned long long)(b->sent - a->sent),
	       (unsigned long long)(b->c[LB_C_RX] - a->c[LB_C_RX]),
	       (unsigned long long)(b->c[LB_C_OK] - a->c[LB_C_OK]),
	       (unsigned long long)missing, n, err);
}

static int all_started(struct runner *r, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!r[i].started && !r[i].done)
			return 0;
	return 1;
}

static int any_done(struct runner *r, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (r[i].done)
			return 1;
	return 0;
}

/* Runs until stopped, one generator per core (each its own share of the
 * flows, so every core feeds its own queue of the multi-queue veth);
 * rates between the samples at 'warm' and the end. With one core, the
 * sampler sits on CPU 1; with several, it is unpinned and above the
 * generators' priority (it mostly sleeps).
 */
static int gen_timed(const struct gen_args *a, struct gen_bpf **g, int n,
		     const __u8 *frame, int cnt_fd)
{
	struct runner r[LB_MAX_CORES] = {};
	struct sigaction sa = {.sa_handler = on_usr1};
	struct sample s0, s1;
	pthread_t th[LB_MAX_CORES];
	int i, err = 0, started = 0;
	double t0;

	sigaction(SIGUSR1, &sa, NULL);
	if (n == 1)
		pin_cpu(SAMPLE_CPU);
	sched_setscheduler(0, SCHED_FIFO,
			   &(struct sched_param){n == 1 ? 10 : 20});
	for (i = 0; i < n; i++) {
		r[i] = (struct runner){.prog = bpf_program__fd(g[i]->progs.gen),
				       .cpu = GEN_CPU + i,
				       .repeat = INT_MAX,
				       .frame = frame};
		if (pthread_create(&th[i], NULL, run_thread, &r[i])) {
			err = -errno;
			break;
		}
		started++;
	}
	while (!err && !all_started(r, n) && !any_done(r, n))
		usleep(1000);
	t0 = now_s();
	while (!err && now_s() - t0 < a->warm && !any_done(r, n))
		usleep(5000);
	take(&s0, cnt_fd, g, r, n);
	while (!err && now_s() - s0.t < a->secs && !any_done(r, n))
		usleep(5000);
	take(&s1, cnt_fd, g, r, n);
	if (!err && any_done(r, n))
		err = -ETIME; /* one ended before the window closed */
	/* Again until each stops: a signal that lands while a run is still
	 * being set up can be absorbed by a restarted syscall.
	 */
	for (i = 0; i < started; i++) {
		while (!r[i].done) {
			pthread_kill(th[i], SIGUSR1);
			usleep(20000);
		}
		pthread_join(th[i], NULL);
		if (r[i].err && !err)
			err = r[i].err;
	}
	print_rates(&s0, &s1, g, n, err);
	return err;
}

/* Sends every flow once per pass, on CPU 0. 'ktime' is the kernel's
 * time for the passes, without the per-run setup: the new flows per
 * second of a single pass of never-seen flows are ok / ktime.
 */
static int gen_passes(const struct gen_args *a, struct gen_bpf *g,
		      const __u8 *frame, int cnt_fd)
{
	struct sample s0, s1;
	double kns = 0;
	__u32 p;
	int rc = 0;

	bench_core(GEN_CPU);
	take1(&s0, cnt_fd, g, gettid());
	for (p = 0; p < a->passes; p++) {
		rc = live_run(bpf_program__fd(g->progs.gen), frame, a->flows,
			      &kns);
		if (rc)
			break;
		take1(&s1, cnt_fd, g, gettid());
		if (a->until_learned && s1.c[LB_C_LEARNED] >= a->flows) {
			p++;
			break;
		}
	}
	take1(&s1, cnt_fd, g, gettid());
	printf("{\"passes\": %u, \"secs\": %.3f, \"ktime\": %.6f, "
	       "\"kspan\": %.6f, \"wait\": %.3f, \"sent\": %llu, "
	       "\"rx\": %llu, \"ok\": %llu, \"learned\": %llu, "
	       "\"csum_bad\": %llu, \"missing\": %llu, \"cores\": 1, "
	       "\"err\": %d}\n",
	       p, s1.t - s0.t, kns / 1e9, kns / 1e9, s1.wait - s0.wait,
	       (unsigned long long)(s1.sent - s0.sent),
	       (unsigned long long)(s1.c[LB_C_RX] - s0.c[LB_C_RX]),
	       (unsigned long long)(s1.c[LB_C_OK] - s0.c[LB_C_OK]),
	       (unsigned long long)s1.c[LB_C_LEARNED],
	       (unsigned long long)s1.c[LB_C_CSUM_BAD],
	       (unsigned long long)g->bss->missing, rc);
	return rc;
}

struct pass_runner {
	struct runner r;
	__u32 passes, done_passes;
	double kns; /* kernel time of its runs, setup excluded */
	double run, wait; /* on CPU, runnable: from 'go' to the end */
	volatile int *go; /* 1: start, -1: give up */
};

/* Waits with the others for the first sample, then sends its slice of
 * the flows once per pass on its own core. It polls 'go' with a sleep,
 * not a spin: SCHED_FIFO spinners on every core would starve the main
 * thread that sets it.
 */
static void *pass_thread(void *arg)
{
	struct pass_runner *p = arg;
	double run0, wait0;

	p->r.tid = gettid();
	p->r.err = bench_core(p->r.cpu);
	p->r.started = 1;
	while (!*p->go)
		usleep(100);
	sched_times(p->r.tid, &run0, &wait0);
	for (; *p->go > 0 && !p->r.err && p->done_passes < p->passes;
	     p->done_passes++)
		p->r.err = live_run(p->r.prog, p->r.frame, p->r.repeat,
				    &p->kns);
	sched_times(p->r.tid, &p->run, &p->wait);
	p->run -= run0;
	p->wait -= wait0;
	p->r.done = 1;
	return NULL;
}

static int start_passes(struct pass_runner *p, pthread_t *th, int n)
{
	int i, rc;

	for (i = 0; i < n; i++) {
		rc = pthread_create(&th[i], NULL, pass_thread, &p[i]);
		if (rc) {
			fprintf(stderr, "start generator %d: %s\n", i,
				strerror(rc));
			return i;
		}
	}
	return n;
}

/* Pass mode on 'n' cores: generator i on CPU i sends flows [base_i,
 * base_i + slice_i) once per pass, all starting together. "ktime" is the
 * kernel time of all of them (CPU-seconds: ok / ktime is the rate per
 * core), "kspan" the longest one's (ok / kspan is the rate of all cores
 * together while they ran), "secs" the wall clock including the live
 * runs' setup.
 */
static int gen_passes_mc(const struct gen_args *a, struct gen_bpf **g, int n,
			 const __u8 *frame, int cnt_fd)
{
	struct pass_runner p[LB_MAX_CORES] = {};
	struct runner r[LB_MAX_CORES] = {};
	pthread_t th[LB_MAX_CORES];
	volatile int go = 0;
	struct sample s0, s1;
	double kns = 0, kspan = 0, wait = 0;
	__u64 missing = 0;
	__u32 passes = a->passes;
	int i, started, err = 0;

	for (i = 0; i < n; i++)
		p[i] = (struct pass_runner){
			.r = {.prog = bpf_program__fd(g[i]->progs.gen),
			      .cpu = GEN_CPU + i,
			      .repeat = g[i]->rodata->nflows,
			      .frame = frame},
			.passes = a->passes,
			.go = &go};
	started = start_passes(p, th, n);
	for (i = 0; i < started; i++)
		while (!p[i].r.started)
			usleep(1000);
	for (i = 0; i < started; i++)
		r[i] = p[i].r;
	take(&s0, cnt_fd, g, r, started);
	go = started == n ? 1 : -1;
	for (i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		if (p[i].r.err && !err)
			err = p[i].r.err;
		kns += p[i].kns;
		wait += p[i].wait;
		kspan = p[i].kns > kspan ? p[i].kns : kspan;
		if (p[i].done_passes < passes)
			passes = p[i].done_passes;
		missing += g[i]->bss->missing;
	}
	take(&s1, cnt_fd, g, r, started);
	if (started < n)
		return -EAGAIN;
	printf("{\"passes\": %u, \"secs\": %.3f, \"ktime\": %.6f, "
	       "\"kspan\": %.6f, \"wait\": %.3f, \"sent\": %llu, "
	       "\"rx\": %llu, \"ok\": %llu, \"learned\": %llu, "
	       "\"csum_bad\": %llu, \"missing\": %llu, \"cores\": %d, "
	       "\"err\": %d}\n",
	       passes, s1.t - s0.t, kns / 1e9, kspan / 1e9, wait,
	       (unsigned long long)(s1.sent - s0.sent),
	       (unsigned long long)(s1.c[LB_C_RX] - s0.c[LB_C_RX]),
	       (unsigned long long)(s1.c[LB_C_OK] - s0.c[LB_C_OK]),
	       (unsigned long long)s1.c[LB_C_LEARNED],
	       (unsigned long long)s1.c[LB_C_CSUM_BAD],
	       (unsigned long long)missing, n, err);
	return err;
}

static int gen_parse(struct gen_args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"proto", 1, 0, 'p'}, {"tcp", 1, 0, 't'},
		{"in", 0, 0, 'i'},    {"ext", 1, 0, 'e'},
		{"flows", 1, 0, 'n'}, {"base", 1, 0, 'b'},
		{"gen", 1, 0, 'g'},   {"secs", 1, 0, 's'},
		{"warm", 1, 0, 'w'},  {"passes", 1, 0, 'P'},
		{"sink", 1, 0, 'k'},  {"until-learned", 0, 0, 'u'},
		{"cores", 1, 0, 'c'}, {"step", 1, 0, 'S'},
		{0, 0, 0, 0},
	};
	int c;

	if (argc < 6)
		return -EINVAL;
	*a = (struct gen_args){.ns = argv[2],
			       .ifname = argv[3],
			       .udp = 1,
			       .tcp = 'k',
			       .flows = 1,
			       .step = 1,
			       .cores = 1,
			       .warm = 0.2};
	if (parse_mac(argv[4], a->dmac) || parse_mac(argv[5], a->smac))
		return -EINVAL;
	optind = 6;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			a->udp = !strcmp(optarg, "udp");
			break;
		case 't':
			a->tcp = !strcmp(optarg, "syn")	     ? 's'
				 : !strcmp(optarg, "synack") ? 'a'
							     : 'k';
			break;
		case 'i':
			a->inbound = 1;
			break;
		case 'e':
			a->ext = optarg;
			break;
		case 'n':
			a->flows = strtoul(optarg, NULL, 0);
			break;
		case 'b':
			a->base = strtoul(optarg, NULL, 0);
			break;
		case 'g':
			a->gen = strtoul(optarg, NULL, 0) & 0xffff;
			break;
		case 's':
			a->secs = atof(optarg);
			break;
		case 'w':
			a->warm = atof(optarg);
			break;
		case 'P':
			a->passes = strtoul(optarg, NULL, 0);
			break;
		case 'k':
			a->sink = optarg;
			break;
		case 'u':
			a->until_learned = 1;
			break;
		case 'c':
			a->cores = strtoul(optarg, NULL, 0);
			break;
		case 'S':
			a->step = strtoul(optarg, NULL, 0);
			break;
		default:
			return -EINVAL;
		}
	}
	if (!a->sink || !a->flows || !a->step || (a->inbound && !a->ext) ||
	    (a->secs <= 0) == !a->passes || a->flows > INT_MAX ||
	    !a->cores || a->cores > LB_MAX_CORES || a->cores > a->flows ||
	    (a->until_learned && a->cores > 1))
		return -EINVAL;
	return 0;
}

/* Loads one generator for flows [base, base + flows) of the run. */
static struct gen_bpf *gen_load(const struct gen_args *a, const __u8 *frame,
				int ifindex, int ext_fd, __u32 base,
				__u32 flows)
{
	struct gen_bpf *g = gen_bpf__open();
	int rc;

	if (!g)
		return NULL;
	memcpy((void *)g->rodata->tmpl, frame, sizeof(g->rodata->tmpl));
	g->rodata->out_ifindex = ifindex;
	g->rodata->nflows = flows;
	g->rodata->flow_base = base;
	g->rodata->flow_step = a->step;
	g->rodata->inbound = a->inbound;
	g->rodata->want_gen = a->gen;
	g->rodata->is_udp = a->udp;
	rc = a->inbound ? bpf_map__reuse_fd(g->maps.lb_ext, ext_fd) : 0;
	if (!rc)
		rc = gen_bpf__load(g);
	if (rc) {
		fprintf(stderr, "load generator: %s\n", strerror(-rc));
		gen_bpf__destroy(g);
		return NULL;
	}
	return g;
}

static int cmd_gen(int argc, char **argv)
{
	__u8 frame[64] = {};
	struct gen_bpf *g[LB_MAX_CORES] = {};
	struct gen_args a;
	int rc = -1, ifindex, cnt_fd, ext_fd = -1, i, n;
	__u32 share;

	if (gen_parse(&a, argc, argv))
		return -EINVAL;
	build_template(&a, frame);
	cnt_fd = obj_get(a.sink, "lb_cnt");
	if (a.inbound)
		ext_fd = obj_get(a.ext, "lb_ext");
	if (cnt_fd < 0 || (a.inbound && ext_fd < 0) || enter_ns(a.ns))
		return -1;
	ifindex = ifindex_of(a.ifname);
	if (!ifindex)
		return -1;
	n = a.cores;
	share = a.flows / n;
	if (a.step == 1 && share >= LB_PORTS_PER_SUB)
		share -= share % LB_PORTS_PER_SUB; /* a subscriber on one core */
	for (i = 0; i < n; i++) {
		g[i] = gen_load(&a, frame, ifindex, ext_fd,
				a.base + i * share * a.step,
				i + 1 < n ? share : a.flows - i * share);
		if (!g[i])
			goto out;
	}
	if (!a.passes)
		rc = gen_timed(&a, g, n, frame, cnt_fd);
	else if (n == 1)
		rc = gen_passes(&a, g[0], frame, cnt_fd);
	else
		rc = gen_passes_mc(&a, g, n, frame, cnt_fd);
out:
	for (i = 0; i < n; i++)
		gen_bpf__destroy(g[i]);
	return rc;
}

static int cmd_cgstats(const char *dir)
{
	__u64 v[STAT_MAX];
	int fd = obj_get(dir, "cgnat_stats"), i, n = 0;

	if (fd < 0 || percpu_sum(fd, STAT_MAX, v))
		return -1;
	printf("{");
	for (i = 0; i < STAT_MAX; i++)
		if (v[i] && dp_stat_names[i])
			printf("%s\"%s\": %llu", n++ ? ", " : "",
			       dp_stat_names[i], (unsigned long long)v[i]);
	printf("}\n");
	return 0;
}

int main(int argc, char **argv)
{
	int rc = -EINVAL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		goto usage;
	if (!strcmp(argv[1], "attach"))
		rc = cmd_attach(argc, argv);
	else if (!strcmp(argv[1], "detach") && argc > 2)
		rc = cmd_detach(argv[2]);
	else if (!strcmp(argv[1], "sink"))
		rc = cmd_sink(argc, argv);
	else if (!strcmp(argv[1], "gen"))
		rc = cmd_gen(argc, argv);
	else if (!strcmp(argv[1], "cgstats") && argc > 2)
		rc = cmd_cgstats(argv[2]);
	else if (!strcmp(argv[1], "probe")) {
		rc = fh_probe_live();
		if (rc)
			printf("%s\n", strerror(rc));
	}
	if (rc != -EINVAL)
		return rc ? 1 : 0;
usage:
	fprintf(stderr, "usage: see the comment in tests/bench/bench_live.c\n");
	return 2;
}
