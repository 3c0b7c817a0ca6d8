// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_metrics.c - cgnatctl metrics: the state and counters of status in
 * the Prometheus text exposition format, for node_exporter's textfile
 * collector (daemon/cgnat-metrics.timer) or any HTTP wrapper; with --json
 * the same samples as a JSON array. Data-plane series come from the pins;
 * cgnatd_* series from the stats file the daemon rewrites every 5 s in its
 * run directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpf/loader.h"
#include "daemon/ctl.h"
#include "logger/timefmt.h"

static int as_json, n_samples;

static void help(const char *name, const char *type, const char *text)
{
	if (!as_json)
		printf("# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* Labels are written k="v",k="v" (values never hold quotes or commas). */
static void json_labels(const char *l)
{
	char buf[256], *tok, *save = NULL, *eq;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", l);
	printf(",\"labels\":{");
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		eq = strchr(tok, '=');
		if (!eq)
			continue;
		*eq = 0;
		printf("%s\"%s\":%s", n++ ? "," : "", tok, eq + 1);
	}
	printf("}");
}

static void sample(const char *name, const char *labels, unsigned long long v)
{
	if (!as_json) {
		printf("%s%s%s%s %llu\n", name, labels ? "{" : "",
		       labels ? labels : "", labels ? "}" : "", v);
		return;
	}
	printf("%s{\"name\":\"%s\"", n_samples++ ? ",\n" : "[", name);
	if (labels)
		json_labels(labels);
	printf(",\"value\":%llu}", v);
}

static void gauge(const char *name, const char *text, unsigned long long v)
{
	help(name, "gauge", text);
	sample(name, NULL, v);
}

static void dp_counters(const struct pins *p)
{
	__u64 v[STAT_MAX];
	char l[128];
	int i;

	if (pins_stats(p, v))
		return;
	help("cgnat_dataplane_total", "counter",
	     "data-plane counters (packets, new state, events) by name");
	for (i = 0; i < STAT_DROP_BASE; i++) {
		if (!dp_stat_names[i])
			continue;
		snprintf(l, sizeof(l), "counter=\"%s\"", dp_stat_names[i]);
		sample("cgnat_dataplane_total", l, v[i]);
	}
	help("cgnat_drops_total", "counter", "packets dropped, by reason");
	for (i = STAT_DROP_BASE + 1; i < STAT_MAX; i++) {
		if (!dp_stat_names[i])
			continue;
		snprintf(l, sizeof(l), "reason=\"%s\"", dp_stat_names[i] + 5);
		sample("cgnat_drops_total", l, v[i]);
	}
}

static void per_address(struct ctl *c, const struct pins *p,
			const struct ctl_use *u)
{
	static const char *const proto[] = {"tcp", "udp", "icmp"};
	char addr[TIMEFMT_ADDR_LEN], pool[CFG_NAME_LEN], l[128];
	__u32 a;
	int k;

	help("cgnat_address_blocks_held", "gauge",
	     "port blocks held per external address");
	help("cgnat_address_subscribers", "gauge",
	     "subscribers placed on each external address");
	help("cgnat_address_ports_mapped", "gauge",
	     "external ports mapped per address and protocol");
	for (a = 0; a < p->n_addrs; a++) {
		fmt_addr_be(p->addrs[a].addr, addr, sizeof(addr));
		ctl_pool_name(c, p->addrs[a].pool, pool, sizeof(pool));
		snprintf(l, sizeof(l), "pool=\"%s\",address=\"%s\"", pool,
			 addr);
		sample("cgnat_address_blocks_held", l, u->a[a].held);
		sample("cgnat_address_subscribers", l, u->a[a].subs);
		for (k = 0; k < 3; k++) {
			snprintf(l, sizeof(l), "address=\"%s\",proto=\"%s\"",
				 addr, proto[k]);
			sample("cgnat_address_ports_mapped", l,
			       u->a[a].ports[k]);
		}
	}
}

/* The first-block grant slots of each pool in use: how many the
 * allocator keeps stocked (CGNAT_NEW_FILL: more in a large pool) and how
 * many hold a grant now. Stocked well under kept while new subscribers
 * arrive means the refill is behind (drops as grant_wait).
 */
static void grant_slots(struct ctl *c, const struct pins *p)
{
	char pool[CFG_NAME_LEN], l[96];
	__u8 seen[CGNAT_MAX_POOLS] = {0};
	const __u64 *g = p->grant_new;
	__u32 a, i, pid, n;

	if (p->n_grant_new < CGNAT_GRANT_NEW_WORDS)
		return;		/* pins of the 16-slot layout */
	help("cgnat_pool_grant_slots_kept", "gauge",
	     "first-block slots the allocator keeps stocked per pool");
	help("cgnat_pool_grant_slots_stocked", "gauge",
	     "first-block slots holding a grant now per pool");
	for (a = 0; a < p->n_addrs; a++) {
		pid = p->addrs[a].pool % CGNAT_MAX_POOLS;
		if (seen[pid]++)
			continue;
		for (i = 0, n = 0; i < CGNAT_NEW_DEPTH; i++)
			n += !!g[pid * CGNAT_NEW_DEPTH + i];
		ctl_pool_name(c, p->addrs[a].pool, pool, sizeof(pool));
		snprintf(l, sizeof(l), "pool=\"%s\"", pool);
		sample("cgnat_pool_grant_slots_kept", l,
		       g[CGNAT_NEW_FILL + pid]);
		sample("cgnat_pool_grant_slots_stocked", l, n);
	}
}

static const char *const daemon_keys[] = {
	"log_assigned",	   "log_released",     "log_interims",
	"log_events",	   "log_duplicates",   "log_replaced",
	"log_commits",	   "log_write_errors", "reconciles",
	"ipfix_submitted", "ipfix_ring_full",  "ipfix_rate_limited",
	"ipfix_refused",   "sweeps",	       "log_late",
	"log_holds",	   "log_lost",	       "log_refused",
	"log_from_table",  "refill_bells",     "refill_runs",
	"refill_slots",	   "refill_wait_max_us", "refill_late_max_us",
	"refill_quiets",   "block_scans",      "block_scan_cpu_ms",
	"sweep_due_logged", "sweep_due_lost",
};

/* The last expiry sweep, as gauges (cgnatd rewrites them every 5 s). */
static void sweep_gauges(struct ctl *c)
{
	static const char *const what[][2] = {
		{ "sessions", "seen" }, { "sessions", "expired" },
		{ "mappings", "seen" }, { "mappings", "expired" },
		{ "rsess", "deleted" },
	};
	char k[64], l[64];
	long long v;
	size_t i;

	if (!daemon_stats(c->run_dir, "sweep_last_us", &v)) {
		help("cgnatd_sweep_last_duration_microseconds", "gauge",
		     "how long the last expiry sweep took, start to end");
		sample("cgnatd_sweep_last_duration_microseconds", NULL, v);
	}
	help("cgnatd_sweep_last_entries", "gauge",
	     "entries the last expiry sweep saw and removed, by table");
	for (i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		snprintf(k, sizeof(k), "sweep_last_%s_%s", what[i][0],
			 what[i][1]);
		if (daemon_stats(c->run_dir, k, &v))
			continue;
		snprintf(l, sizeof(l), "table=\"%s\",result=\"%s\"",
			 what[i][0], what[i][1]);
		sample("cgnatd_sweep_last_entries", l, v);
	}
}

static void collectors(struct ctl *c)
{
	const char *res[] = {"sent", "dropped"};
	char k[64], l[64];
	long long v;
	int n, i;

	help("cgnatd_ipfix_collector_records_total", "counter",
	     "IPFIX records per collector, sent or dropped");
	for (n = 0; n < 8; n++) {
		for (i = 0; i < 2; i++) {
			snprintf(k, sizeof(k), "ipfix_collector_%d_records_%s",
				 n, res[i]);
			if (daemon_stats(c->run_dir, k, &v))
				return;
			snprintf(l, sizeof(l), "collector=\"%d\",result=\"%s\"",
				 n, res[i]);
			sample("cgnatd_ipfix_collector_records_total", l, v);
		}
	}
}

/* UDP: messages sent that an ICMP report said did not arrive. */
static void collectors_refused(struct ctl *c)
{
	char k[64], l[64];
	long long v;
	int n;

	help("cgnatd_ipfix_collector_messages_refused_total", "counter",
	     "IPFIX messages sent over UDP that ICMP reported not delivered");
	for (n = 0; n < 8; n++) {
		snprintf(k, sizeof(k), "ipfix_collector_%d_msgs_refused", n);
		if (daemon_stats(c->run_dir, k, &v))
			return;
		snprintf(l, sizeof(l), "collector=\"%d\"", n);
		sample("cgnatd_ipfix_collector_messages_refused_total", l, v);
	}
}

/* log.central: the fleet shipper's backlog (absent when it is off). */
static void central_gauges(struct ctl *c)
{
	long long on = 0, v;

	if (daemon_stats(c->run_dir, "central_enabled", &on) || !on)
		return;
	if (!daemon_stats(c->run_dir, "central_connected", &v))
		gauge("cgnatd_central_connected",
		      "1 while the shipper is connected to PostgreSQL", v);
	if (!daemon_stats(c->run_dir, "central_rows_behind", &v))
		gauge("cgnatd_central_rows_behind",
		      "log rows queued locally that PostgreSQL does not have",
		      v);
	if (!daemon_stats(c->run_dir, "central_oldest_unshipped_ms", &v))
		gauge("cgnatd_central_oldest_unshipped_age_seconds",
		      "age of the oldest row PostgreSQL does not have (0: none)",
		      v ? (long long)time(NULL) - v / 1000 : 0);
	if (!daemon_stats(c->run_dir, "central_rows_shipped", &v))
		gauge("cgnatd_central_rows_shipped",
		      "rows shipped to PostgreSQL since cgnatd started", v);
}

static void daemon_counters(struct ctl *c)
{
	char l[64];
	long long v;
	size_t i;

	gauge("cgnatd_up", "1 when cgnatd runs", daemon_pid(c->run_dir) != 0);
	if (!daemon_stats(c->run_dir, "log_memory_kb", &v))
		gauge("cgnatd_log_memory_bytes",
		      "heap SQLite holds in cgnatd (page caches included)",
		      v * 1024);
	help("cgnatd_total", "counter",
	     "cgnatd's own counters since it started (log rows, IPFIX)");
	for (i = 0; i < sizeof(daemon_keys) / sizeof(daemon_keys[0]); i++) {
		if (daemon_stats(c->run_dir, daemon_keys[i], &v))
			continue;
		snprintf(l, sizeof(l), "counter=\"%s\"", daemon_keys[i]);
		sample("cgnatd_total", l, v);
	}
	sweep_gauges(c);
	collectors(c);
	collectors_refused(c);
	central_gauges(c);
	ctl_ha_metrics(c, gauge);
}

static void state(struct ctl *c, const struct pins *p, const struct ctl_use *u)
{
	gauge("cgnat_subscribers", "active subscribers", u->subscribers);
	gauge("cgnat_subscribers_max", "size of the subscriber table",
	      p->n_subs);
	gauge("cgnat_sessions", "live sessions", u->sessions);
	gauge("cgnat_blocks", "port blocks in all pools",
	      (unsigned long long)p->n_addrs * p->cfg.blocks_per_addr);
	gauge("cgnat_blocks_held", "port blocks held by subscribers", u->held);
	gauge("cgnat_blocks_quarantined", "released blocks resting",
	      u->quarantined);
	if (u->open_rows >= 0)
		gauge("cgnat_log_open_holdings",
		      "open rows in the compliance log (equals blocks_held)",
		      u->open_rows);
	per_address(c, p, u);
	grant_slots(c, p);
	dp_counters(p);
}

int cmd_metrics(struct ctl *c)
{
	struct ctl_use u = {0};
	struct pins p;
	int rc = ctl_pins(c, &p);

	as_json = c->json;
	gauge("cgnat_dataplane_up",
	      "1 when the data plane is pinned and "
	      "attached on both interfaces",
	      !rc && p.links == 2);
	daemon_counters(c);
	if (!rc && ctl_use(c, &p, &u))
		rc = 2;
	else if (!rc)
		state(c, &p, &u);
	if (as_json)
		printf("]\n");
	free(u.a);
	pins_close(&p); /* safe after a failed open too */
	return rc;
}
