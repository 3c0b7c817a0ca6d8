// SPDX-License-Identifier: GPL-2.0
/*
 * cgnat_dp.c - runs the data plane by hand until cgnatd (which reads the
 * YAML configuration) replaces it: loads and attaches through the same
 * loader API, keeps the grants stocked, prints every event with its UTC
 * time, and on SIGINT/SIGTERM exits leaving the XDP links and maps pinned
 * (traffic keeps flowing); --detach removes them.
 *
 *   cgnat-dp --inside IF --outside IF --pool A[,A...] --subscribers P/L
 *            [--generic] [--block-size N] [--max-blocks N] [--sessions N]
 *            [--filtering eif|adf|apdf] [--no-hairpin] [--stats]
 *            [--pin-dir DIR] [--ports LO-HI] [--timeouts U,TE,TT,I]
 *            [--idle-release S] [--quarantine S] [--sessions-per-sub N]
 *            [--unreachable] [--unsafe-short-timers] [--mss-clamp IN,OUT]
 *
 * Timers are seconds; below the RFC floors (UDP 120, TCP 7440/240, ICMP
 * 60, quarantine 120) they are refused unless --unsafe-short-timers.
 * --mss-clamp caps the MSS of SYNs crossing the inside/outside interface
 * (0 = off, else 536..65495, as interfaces.mss_clamp).
 *   cgnat-dp --detach [--pin-dir DIR]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/dprun.h"

#define MAX_ADDRS 256

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *const evt_names[] = {
	[EVT_BLOCK_ASSIGNED] = "block-assigned",
	[EVT_QUOTA_BLOCKS] = "quota-blocks",
	[EVT_QUOTA_SESSIONS] = "quota-sessions",
	[EVT_POOL_EMPTY] = "pool-empty",
	[EVT_ADDR_EMPTY] = "address-empty",
	[EVT_TABLE_FULL] = "table-full",
	[EVT_BLOCK_RELEASED] = "block-released",
	[EVT_BLOCK_INTERIM] = "block-interim",
	[EVT_POOL_HIGH] = "pool-high",
	[EVT_POOL_LOW] = "pool-low",
	[EVT_SUB_HIGH] = "subscriber-high",
};

static int print_event(void *ctx, const struct cgnat_event *e, __u64 ms)
{
	char sub[16], ext[16], ts[32];
	time_t t = ms / 1000;
	struct tm tm;

	(void)ctx;
	inet_ntop(AF_INET, &e->sub_addr, sub, sizeof(sub));
	inet_ntop(AF_INET, &e->ext_addr, ext, sizeof(ext));
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	printf("%s.%03lluZ %s sub=%s ext=%s ports=%u-%u block=%u value=%u\n",
	       ts, (unsigned long long)(ms % 1000),
	       e->type <= EVT_SUB_HIGH && evt_names[e->type] ?
		       evt_names[e->type] : "?",
	       sub, ext, e->port_first, e->port_last, e->block, e->value);
	fflush(stdout);
	return 0;
}

struct args {
	struct dp_opts o;
	__be32 addrs[MAX_ADDRS];
	__u32 pools[MAX_ADDRS];
	struct dp_prefix prefix;
	__u32 block_size, max_blocks;
	int detach, stats, unsafe, unreach;
	__u32 port_lo, port_hi;
	double t[4];		/* udp, tcp est, tcp trans, icmp (s) */
	struct pb_policy pol;
};

static int parse_pool(struct args *a, char *list)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (a->o.n_addrs == MAX_ADDRS ||
		    inet_pton(AF_INET, tok, &a->addrs[a->o.n_addrs]) != 1) {
			fprintf(stderr, "cgnat-dp: bad pool address '%s'\n",
				tok);
			return -EINVAL;
		}
		a->o.n_addrs++;
	}
	return 0;
}

static int parse_prefix(struct dp_prefix *p, char *s)
{
	char *slash = strchr(s, '/');

	if (!slash)
		return -EINVAL;
	*slash = 0;
	p->len = atoi(slash + 1);
	if (inet_pton(AF_INET, s, &p->addr) != 1 || p->len > 32)
		return -EINVAL;
	return 0;
}

static int mss_ok(unsigned int v)
{
	return v == 0 || (v >= 536 && v <= 65495);
}

/* "IN,OUT": MSS clamps of the inside and outside interface. */
static int parse_mss(__u16 *clamp, const char *s)
{
	unsigned int in, out;
	char end;

	if (sscanf(s, "%u,%u%c", &in, &out, &end) != 2 || !mss_ok(in) ||
	    !mss_ok(out)) {
		fprintf(stderr, "cgnat-dp: bad --mss-clamp '%s' (IN,OUT: each "
				"0 or 536..65495)\n", s);
		return -EINVAL;
	}
	clamp[0] = in;
	clamp[1] = out;
	return 0;
}

static void defaults(struct args *a)
{
	struct cgnat_cfg *c = &a->o.cfg;

	memset(a, 0, sizeof(*a));
	a->o.pin_dir = CGNAT_PIN_DIR;
	a->o.sessions = 65536;
	a->o.subscribers = 4096;
	a->o.addrs = a->addrs;
	a->o.addr_pool = a->pools;
	a->o.prefixes = &a->prefix;
	a->block_size = 256;
	a->max_blocks = 8;
	a->port_lo = 1024;
	a->port_hi = 65535;
	a->t[0] = 300;
	a->t[1] = 7440;
	a->t[2] = 240;
	a->t[3] = 60;
	a->pol.idle_release_ms = 60000;
	a->pol.quarantine_ms = 120000;
	a->pol.interim_ms = 24 * 3600 * 1000ull;
	a->pol.pool_high = 90;
	a->pol.pool_low = 75;
	a->pol.sub_high = 90;
	c->udp_timeout_ns = 300ull * 1000000000;
	c->tcp_est_timeout_ns = 7440ull * 1000000000;
	c->tcp_trans_timeout_ns = 240ull * 1000000000;
	c->icmp_timeout_ns = 60ull * 1000000000;
	c->nh_ttl_ns = 60000000000ull;	/* safety only: see bpf/fwd.h */
	c->evt_interval_ns = 1000000000ull;
	c->hairpinning = 1;
	c->parity = 1;
}

static int parse_args(struct args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "inside", 1, 0, 'i' },      { "outside", 1, 0, 'o' },
		{ "pool", 1, 0, 'p' },        { "subscribers", 1, 0, 's' },
		{ "generic", 0, 0, 'g' },     { "block-size", 1, 0, 'b' },
		{ "max-blocks", 1, 0, 'm' },  { "sessions", 1, 0, 'n' },
		{ "filtering", 1, 0, 'f' },   { "no-hairpin", 0, 0, 'H' },
		{ "detach", 0, 0, 'd' },      { "stats", 0, 0, 'S' },
		{ "pin-dir", 1, 0, 'P' },      { "ports", 1, 0, 'r' },
		{ "timeouts", 1, 0, 't' },     { "idle-release", 1, 0, 'I' },
		{ "quarantine", 1, 0, 'Q' },   { "sessions-per-sub", 1, 0, 'L' },
		{ "unreachable", 0, 0, 'U' },
		{ "unsafe-short-timers", 0, 0, 'X' },
		{ "mss-clamp", 1, 0, 'M' },
		{ 0, 0, 0, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i': a->o.inside = optarg; break;
		case 'o': a->o.outside = optarg; break;
		case 'p': if (parse_pool(a, optarg)) return -EINVAL; break;
		case 's':
			if (parse_prefix(&a->prefix, optarg))
				return -EINVAL;
			a->o.n_prefixes = 1;
			break;
		case 'g': a->o.xdp_generic = 1; break;
		case 'b': a->block_size = atoi(optarg); break;
		case 'm': a->max_blocks = atoi(optarg); break;
		case 'n': a->o.sessions = atoi(optarg); break;
		case 'f':
			a->o.cfg.filtering = !strcmp(optarg, "adf") ? 1 :
					     !strcmp(optarg, "apdf") ? 2 : 0;
			break;
		case 'H': a->o.cfg.hairpinning = 0; break;
		case 'd': a->detach = 1; break;
		case 'S': a->stats = 1; break;
		case 'P': a->o.pin_dir = optarg; break;
		case 'r':
			if (sscanf(optarg, "%u-%u", &a->port_lo,
				   &a->port_hi) != 2)
				return -EINVAL;
			break;
		case 't':
			if (sscanf(optarg, "%lf,%lf,%lf,%lf", &a->t[0], &a->t[1],
				   &a->t[2], &a->t[3]) != 4)
				return -EINVAL;
			break;
		case 'I': a->pol.idle_release_ms = atof(optarg) * 1000; break;
		case 'Q': a->pol.quarantine_ms = atof(optarg) * 1000; break;
		case 'L': a->o.cfg.sess_per_sub = atoi(optarg); break;
		case 'U': a->unreach = 1; break;
		case 'X': a->unsafe = 1; break;
		case 'M':
			if (parse_mss(a->o.cfg.mss_clamp, optarg))
				return -EINVAL;
			break;
		default: return -EINVAL;
		}
	}
	return 0;
}

static void print_stats(struct dp *dp)
{
	__u64 v[STAT_MAX];
	int i;

	if (dp_stats(dp, v))
		return;
	for (i = 0; i < STAT_MAX; i++)
		if (v[i] && dp_stat_names[i])
			fprintf(stderr, "%-20s %llu\n", dp_stat_names[i],
				(unsigned long long)v[i]);
}

/* The RFC floors, unless the operator said this is a test. */
static int check_floors(const struct args *a)
{
	if (a->unsafe)
		return 0;
	if (a->t[0] < 120 || a->t[1] < 7440 || a->t[2] < 240 || a->t[3] < 60 ||
	    a->pol.quarantine_ms < 120000) {
		fprintf(stderr, "cgnat-dp: timers below the RFC floors (UDP 120 s, "
				"TCP 7440/240 s, ICMP 60 s, quarantine 120 s); "
				"--unsafe-short-timers is for tests only\n");
		return -EINVAL;
	}
	return 0;
}

/* Generated ICMP comes from the inside interface's address. */
static __be32 if_addr(const char *ifname)
{
	struct ifaddrs *ifa, *i;
	__be32 a = 0;

	if (getifaddrs(&ifa))
		return 0;
	for (i = ifa; i && !a; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    !strcmp(i->ifa_name, ifname))
			a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
	freeifaddrs(ifa);
	return a;
}

static void fill_cfg(struct args *a)
{
	struct cgnat_cfg *c = &a->o.cfg;

	c->udp_timeout_ns = a->t[0] * 1e9;
	c->tcp_est_timeout_ns = a->t[1] * 1e9;
	c->tcp_trans_timeout_ns = a->t[2] * 1e9;
	c->icmp_timeout_ns = a->t[3] * 1e9;
	a->pol.max_blocks = a->max_blocks;
	if (a->unreach) {
		c->unreach_type = 3;
		c->unreach_code = 1;
		c->unreach_rate = 100;
	}
	/* Sources of generated ICMP (time exceeded, too big, unreachable). */
	c->icmp_src = if_addr(a->o.inside);
	c->icmp_src_out = if_addr(a->o.outside) ?: a->o.addrs[0];
}

int main(int argc, char **argv)
{
	struct dprun r = {0}; /* hold_grants 0: dprun_start() keeps it */
	struct args a;
	int rc;

	defaults(&a);
	if (parse_args(&a, argc, argv))
		return 2;
	if (a.detach)
		return dp_unpin(a.o.pin_dir, 1) ? 1 : 0;
	a.o.cfg.max_blocks = a.max_blocks;
	if (!a.o.inside || !a.o.outside || !a.o.n_addrs || !a.o.n_prefixes ||
	    dp_geometry(&a.o.cfg, a.port_lo, a.port_hi, a.block_size,
			a.o.n_addrs)) {
		fprintf(stderr, "usage: see the comment in daemon/cgnat_dp.c\n");
		return 2;
	}
	if (check_floors(&a))
		return 2;
	fill_cfg(&a);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = dprun_start(&r, &a.o, 1, print_event, NULL);
	if (rc) {
		fprintf(stderr, "cgnat-dp: %s\n", r.dp.err);
		return 1;
	}
	dprun_set_policy(&r, &a.pol);
	fprintf(stderr, "cgnat-dp: attached to %s/%s, %u addresses\n",
		a.o.inside, a.o.outside, a.o.n_addrs);
	while (!stop)
		if (dprun_poll(&r, 100))
			break;
	if (a.stats)
		print_stats(&r.dp);
	dprun_stop(&r);
	return 0;
}
