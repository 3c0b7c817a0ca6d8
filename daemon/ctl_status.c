// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_status.c - cgnatctl status: is cgnatd running, is the data plane
 * attached, pool use per address (subscribers, blocks held and resting in
 * quarantine, ports mapped per protocol), subscribers, sessions, the
 * log's open holdings against the blocks held (they must be equal), and
 * every counter that is not zero, drops by reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpf/loader.h"
#include "daemon/ctl.h"
#include "logger/timefmt.h"

static int count_row(const struct store_block *b, void *ctx)
{
	(void)b;
	(void)ctx;
	return 0;
}

static long long open_rows(struct ctl *c)
{
	struct store *st = NULL;
	char err[256];
	int n;

	if (store_open_ro(c->db, &st, err, sizeof(err)))
		return -1;
	n = store_open_blocks(st, count_row, NULL);
	store_close(st);
	return n;
}

static uint32_t ports_used(const struct pins *p, __u32 a, int pidx)
{
	const struct cgnat_cfg *g = &p->cfg;
	const struct cgnat_portmap *m = &p->ports[a * CGNAT_NPROTO + pidx];
	__u32 w, lo = g->port_lo / 64,
		 hi = (g->port_lo + g->blocks_per_addr * g->block_size) / 64;
	uint32_t n = 0;

	for (w = lo; w < hi && w < CGNAT_PORT_WORDS; w++)
		n += __builtin_popcountll(m->w[w]);
	return n;
}

int ctl_use(struct ctl *c, const struct pins *p, struct ctl_use *u)
{
	const struct cgnat_cfg *g = &p->cfg;
	struct timespec ts;
	__u64 boot;
	__u32 i, a;
	int k;

	memset(u, 0, sizeof(*u));
	u->a = calloc(p->n_addrs ? p->n_addrs : 1, sizeof(*u->a));
	if (!u->a || !g->blocks_per_addr)
		return -1;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	boot = (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	for (i = 0; i < p->n_blocks && i / g->blocks_per_addr < p->n_addrs;
	     i++) {
		a = i / g->blocks_per_addr;
		if (p->blocks[i].owner) {
			u->a[a].held++;
			u->held++;
		} else if (p->blocks[i].quarantine_until_ns > boot) {
			u->a[a].quarantined++;
			u->quarantined++;
		}
	}
	for (i = 0; i < p->n_subs; i++) {
		const struct cgnat_sub *s = &p->subs[i];

		if (!s->addr)
			continue;
		u->subscribers++;
		u->sessions += s->sessions;
		if (s->ext_idx && s->ext_idx <= p->n_addrs)
			u->a[s->ext_idx - 1].subs++;
	}
	for (a = 0; a < p->n_addrs; a++)
		for (k = 0; k < 3; k++)
			u->a[a].ports[k] = ports_used(p, a, k);
	u->open_rows = open_rows(c);
	return 0;
}

/* The last expiry sweep, from cgnatd's stats file (written every 5 s). */
static void text_sweep(struct ctl *c)
{
	long long n = 0, every = 0, us = 0, seen = 0, exp = 0, mexp = 0;

	daemon_stats(c->run_dir, "sweeps", &n);
	daemon_stats(c->run_dir, "sweep_interval_ms", &every);
	if (!n) {
		printf("expiry sweep: every %.1f s, none completed yet\n",
		       every / 1000.0);
		return;
	}
	daemon_stats(c->run_dir, "sweep_last_us", &us);
	daemon_stats(c->run_dir, "sweep_last_sessions_seen", &seen);
	daemon_stats(c->run_dir, "sweep_last_sessions_expired", &exp);
	daemon_stats(c->run_dir, "sweep_last_mappings_expired", &mexp);
	printf("expiry sweep: every %.1f s, %lld done; the last took %.1f ms: "
	       "%lld sessions seen, %lld expired, %lld mappings expired\n",
	       every / 1000.0, n, us / 1000.0, seen, exp, mexp);
}

static void text_daemon(struct ctl *c, const struct pins *p)
{
	long long started = -1, reload = -1;
	char t1[TIMEFMT_LEN], t2[TIMEFMT_LEN];
	int pid = daemon_pid(c->run_dir);

	if (pid) {
		daemon_stats(c->run_dir, "started_ms", &started);
		daemon_stats(c->run_dir, "reload_ms", &reload);
		fmt_time(started, t1, sizeof(t1));
		fmt_time(reload > 0 ? reload : -1, t2, sizeof(t2));
		printf("cgnatd:       running, pid %d, started %s, last "
		       "reload %s\n",
		       pid, t1, t2);
	} else {
		printf("cgnatd:       not running (the data plane forwards "
		       "on its own; blocks are not granted or logged)\n");
	}
	if (pid)
		text_sweep(c);
	printf("data plane:   %s (%d of 2 XDP links pinned in %s)\n",
	       p->links == 2 ? "attached" : "NOT attached", p->links,
	       c->pin_dir);
}

static void text_pools(struct ctl *c, const struct pins *p,
		       const struct ctl_use *u)
{
	const struct cgnat_cfg *g = &p->cfg;
	char addr[TIMEFMT_ADDR_LEN], pool[CFG_NAME_LEN];
	__u32 a;

	printf("blocks:       %u held, %u in quarantine, of %u (%u ports "
	       "each, ports %u-%u)\n",
	       u->held, u->quarantined, p->n_addrs * g->blocks_per_addr,
	       g->block_size, g->port_lo,
	       g->port_lo + g->blocks_per_addr * g->block_size - 1);
	printf("\n%-10s %-15s %11s %11s %10s %7s %7s %7s\n", "pool", "address",
	       "subscribers", "blocks held", "quarantine", "tcp", "udp",
	       "icmp");
	for (a = 0; a < p->n_addrs; a++) {
		const struct ctl_addr_use *x = &u->a[a];

		fmt_addr_be(p->addrs[a].addr, addr, sizeof(addr));
		ctl_pool_name(c, p->addrs[a].pool, pool, sizeof(pool));
		printf("%-10s %-15s %11u %7u/%-3u %10u %7u %7u %7u\n", pool,
		       addr, x->subs, x->held, g->blocks_per_addr,
		       x->quarantined, x->ports[0], x->ports[1], x->ports[2]);
	}
}

static void text_counters(const struct pins *p)
{
	__u64 v[STAT_MAX];
	int i, n;

	if (pins_stats(p, v))
		return;
	printf("\ncounters (non-zero):\n");
	for (i = 0; i < STAT_DROP_BASE; i++)
		if (v[i] && dp_stat_names[i])
			printf("  %-22s %llu\n", dp_stat_names[i],
			       (unsigned long long)v[i]);
	printf("drops by reason (non-zero):\n");
	for (i = STAT_DROP_BASE + 1, n = 0; i < STAT_MAX; i++)
		if (v[i] && dp_stat_names[i] && ++n)
			printf("  %-22s %llu\n", dp_stat_names[i] + 5,
			       (unsigned long long)v[i]);
	if (!n)
		printf("  none\n");
}

/* The log's own backlog: events kept while its commits fail. */
static void text_backlog(struct ctl *c)
{
	long long n = 0, hold = 0, since = 0, holds = 0;

	daemon_stats(c->run_dir, "log_backlog", &n);
	daemon_stats(c->run_dir, "log_holding", &hold);
	daemon_stats(c->run_dir, "log_failing_ms", &since);
	daemon_stats(c->run_dir, "log_holds", &holds);
	if (!n && !hold && !since)
		return;
	printf("log backlog:  %lld events NOT COMMITTED for %llds (retried "
	       "every second)%s\n",
	       n, since ? (long long)time(NULL) - since / 1000 : 0,
	       hold ? "; NEW PORT BLOCKS HELD until the log commits" : "");
}

/* log.central: the shipper's backlog, from cgnatd's stats file. */
static void text_central(struct ctl *c)
{
	long long on = 0, conn = 0, behind = 0, oldest = 0, acked = 0;

	if (daemon_stats(c->run_dir, "central_enabled", &on) || !on)
		return;
	daemon_stats(c->run_dir, "central_connected", &conn);
	daemon_stats(c->run_dir, "central_rows_behind", &behind);
	daemon_stats(c->run_dir, "central_oldest_unshipped_ms", &oldest);
	daemon_stats(c->run_dir, "central_acked_seq", &acked);
	printf("central log:  %s, %lld rows behind", conn ? "connected" :
		"NOT CONNECTED (rows stay queued locally)", behind);
	if (behind && oldest)
		printf(", oldest unshipped %llds ago",
		       (long long)time(NULL) - oldest / 1000);
	printf(", acknowledged up to %lld\n", acked);
}

static void text_status(struct ctl *c, const struct pins *p,
			const struct ctl_use *u)
{
	text_daemon(c, p);
	printf("subscribers:  %u (table of %u)\n", u->subscribers, p->n_subs);
	printf("sessions:     %llu\n", (unsigned long long)u->sessions);
	if (u->open_rows < 0)
		printf("log:          %s not readable\n", c->db);
	else
		printf("log:          %s: %lld open holdings, %u blocks held: "
		       "%s\n",
		       c->db, u->open_rows, u->held,
		       u->open_rows == u->held
			       ? "consistent"
			       : "DIFFERENT (cgnatd reconciles)");
	text_backlog(c);
	text_central(c);
	ctl_ha_text(c);
	text_pools(c, p, u);
	text_counters(p);
}

static void json_pools(struct ctl *c, const struct pins *p,
		       const struct ctl_use *u)
{
	char addr[TIMEFMT_ADDR_LEN], pool[CFG_NAME_LEN];
	__u32 a;

	printf(",\"addresses\":[");
	for (a = 0; a < p->n_addrs; a++) {
		const struct ctl_addr_use *x = &u->a[a];

		fmt_addr_be(p->addrs[a].addr, addr, sizeof(addr));
		ctl_pool_name(c, p->addrs[a].pool, pool, sizeof(pool));
		printf("%s{\"address\":\"%s\",\"pool\":", a ? "," : "", addr);
		json_str(stdout, pool);
		printf(",\"pool_id\":%u,\"subscribers\":%u,\"blocks\":%u,"
		       "\"blocks_held\":%u,\"blocks_quarantined\":%u,"
		       "\"ports_mapped\":{\"tcp\":%u,\"udp\":%u,\"icmp\":%u}}",
		       p->addrs[a].pool + 1, x->subs, p->cfg.blocks_per_addr,
		       x->held, x->quarantined, x->ports[0], x->ports[1],
		       x->ports[2]);
	}
	printf("]");
}

static void json_counters(const struct pins *p)
{
	__u64 v[STAT_MAX];
	int i, n = 0;

	if (pins_stats(p, v))
		memset(v, 0, sizeof(v));
	printf(",\"counters\":{");
	for (i = 0; i < STAT_DROP_BASE; i++)
		if (dp_stat_names[i])
			printf("%s\"%s\":%llu", n++ ? "," : "",
			       dp_stat_names[i], (unsigned long long)v[i]);
	printf("},\"drops\":{");
	for (i = STAT_DROP_BASE + 1, n = 0; i < STAT_MAX; i++)
		if (dp_stat_names[i])
			printf("%s\"%s\":%llu", n++ ? "," : "",
			       dp_stat_names[i] + 5, (unsigned long long)v[i]);
	printf("}");
}

static void json_status(struct ctl *c, const struct pins *p,
			const struct ctl_use *u)
{
	static const char *const sweep_keys[] = {
		"sweeps", "sweep_interval_ms", "sweep_last_us",
		"sweep_last_sessions_seen", "sweep_last_sessions_expired",
		"sweep_last_mappings_seen", "sweep_last_mappings_expired",
		"sweep_last_mappings_sole", "sweep_map_every",
		"sweep_last_rsess_deleted", "sweep_due_passes",
		"sweep_last_by_due", "sweep_last_due_named", "sweep_due_logged",
		"sweep_due_lost",
	};
	int pid = daemon_pid(c->run_dir);
	long long v;
	size_t i;

	printf("{\"cgnatd\":{\"running\":%s,\"pid\":%d",
	       pid ? "true" : "false", pid);
	/* The expiry sweep as "sweep":{"sweeps":N,"interval_ms":..}. */
	for (i = 0; pid && i < sizeof(sweep_keys) / sizeof(sweep_keys[0]);
	     i++) {
		if (daemon_stats(c->run_dir, sweep_keys[i], &v))
			v = 0;
		printf("%s\"%s\":%lld", i ? "," : ",\"sweep\":{",
		       i ? sweep_keys[i] + 6 : "completed", v);
	}
	printf("%s},\"dataplane\":{\"attached\":%s,\"links\":%d,"
	       "\"pin_dir\":",
	       pid ? "}" : "", p->links == 2 ? "true" : "false", p->links);
	json_str(stdout, c->pin_dir);
	printf("},\"subscribers\":%u,\"subscriber_table\":%u,"
	       "\"sessions\":%llu,\"blocks\":{\"total\":%u,\"held\":%u,"
	       "\"quarantined\":%u,\"block_size\":%u,\"port_first\":%u}",
	       u->subscribers, p->n_subs, (unsigned long long)u->sessions,
	       p->n_addrs * p->cfg.blocks_per_addr, u->held, u->quarantined,
	       p->cfg.block_size, p->cfg.port_lo);
	printf(",\"log\":{\"database\":");
	json_str(stdout, c->db);
	{
		long long n = 0, hold = 0;

		daemon_stats(c->run_dir, "log_backlog", &n);
		daemon_stats(c->run_dir, "log_holding", &hold);
		printf(",\"readable\":%s,\"open_holdings\":%lld,"
		       "\"consistent\":%s,\"backlog\":%lld,"
		       "\"grants_held\":%s}",
		       u->open_rows >= 0 ? "true" : "false", u->open_rows,
		       u->open_rows == u->held ? "true" : "false", n,
		       hold ? "true" : "false");
	}
	json_pools(c, p, u);
	json_counters(p);
	printf("}\n");
}

int cmd_status(struct ctl *c)
{
	struct ctl_use u;
	struct pins p;
	int rc = ctl_pins(c, &p);

	if (rc)
		return rc;
	if (ctl_use(c, &p, &u)) {
		ctl_err("status: out of memory or empty geometry");
		rc = 2;
	} else if (c->json) {
		json_status(c, &p, &u);
	} else {
		text_status(c, &p, &u);
	}
	free(u.a);
	pins_close(&p);
	return rc;
}
