// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_det.c - det-table: the whole subscriber -> (address, port range)
 * mapping of every deterministic pool as it stood at a time (default
 * now), computed from the layout log, for a regulator or an LI system:
 * CSV by default, one JSON document with --json. Exit 1 when no layout
 * was in force then.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "daemon/ctl.h"
#include "daemon/detlog.h"
#include "logger/timefmt.h"

struct table {
	int json;
	int pools; /* printed so far */
};

static void print_time_json(const char *name, int64_t ms)
{
	char t[TIMEFMT_LEN];

	if (ms == STORE_MS_NONE) {
		printf("\"%s\":null", name);
		return;
	}
	timefmt_format(ms, t, sizeof(t));
	printf("\"%s\":\"%s\"", name, t);
}

static void pool_json_head(const struct store_det_layout *r, int64_t until)
{
	printf("{\"pool\":");
	json_str(stdout, r->pool);
	printf(",\"pool_id\":%u,\"instance\":%u,\"version\":%u,", r->pool_id,
	       r->instance, r->version);
	print_time_json("in_force_from", r->switched_ms);
	printf(",");
	print_time_json("in_force_until", until);
	printf(",\"inside\":\"%s\",\"outside\":\"%s\","
	       "\"exclude_boundary\":%s,\"ports_per_subscriber\":%u,"
	       "\"subscribers_per_address\":%u,\"port_first\":%u,"
	       "\"port_last\":%u,\"overflow_blocks\":%u,\"algorithm\":%u,"
	       "\"reserved\":\"%s\",\"mapping\":[",
	       r->inside, r->outside, r->exclude_boundary ? "true" : "false",
	       r->pps, r->spa, r->port_first, r->port_last, r->overflow_blocks,
	       r->algorithm, r->reserved);
}

static int print_pool(const struct store_det_layout *r,
		      const struct det_layout *l, int64_t until, void *ctx)
{
	struct table *t = ctx;
	char sub[TIMEFMT_ADDR_LEN], ext[TIMEFMT_ADDR_LEN];
	char from[TIMEFMT_LEN], to[TIMEFMT_LEN];
	uint32_t off, s, e;
	uint16_t lo, hi;

	if (t->json)
		printf("%s", t->pools ? "," : "");
	if (t->json)
		pool_json_head(r, until);
	timefmt_format(r->switched_ms, from, sizeof(from));
	timefmt_format(until, to, sizeof(to));
	for (off = 0; off < l->n_subs; off++) {
		if (det_sub_at(l, off, &s) || det_forward(l, s, &e, &lo, &hi))
			continue;
		timefmt_format_addr(s, sub, sizeof(sub));
		timefmt_format_addr(e, ext, sizeof(ext));
		if (t->json)
			printf("%s{\"subscriber\":\"%s\",\"external\":\"%s\","
			       "\"port_first\":%u,\"port_last\":%u}",
			       off ? "," : "", sub, ext, lo, hi);
		else
			printf("%s,%u,%s,%s,%s,%s,%u,%u\n", r->pool, r->version,
			       from, to, sub, ext, lo, hi);
	}
	if (t->json)
		printf("]}");
	t->pools++;
	return 0;
}

int cmd_det_table(struct ctl *c)
{
	struct detlog_history h;
	struct table t = {.json = c->json};
	char at_s[TIMEFMT_LEN];
	struct store *st;
	struct timespec ts;
	int64_t at, to;
	int rc;

	if (c->argc != 1 || c->from || c->to) {
		ctl_err("usage: det-table [--at TIME] [--json]");
		return 2;
	}
	if (c->at) {
		if (ctl_window(c, 1, &at, &to))
			return 2;
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		at = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	st = ctl_store(c);
	if (!st)
		return 2;
	rc = detlog_history_load(st, &h);
	if (rc) {
		ctl_err("layout log: %s", store_errmsg(st));
		store_close(st);
		return 2;
	}
	timefmt_format(at, at_s, sizeof(at_s));
	if (t.json)
		printf("{\"at\":\"%s\",\"at_ms\":%lld,\"pools\":[", at_s,
		       (long long)at);
	else
		printf("pool,version,in_force_from,in_force_until,subscriber,"
		       "external,port_first,port_last\n");
	rc = detlog_in_force(&h, at, print_pool, &t);
	if (t.json)
		printf("]}\n");
	if (!rc)
		ctl_err("no deterministic layout was in force at %s", at_s);
	detlog_history_free(&h);
	store_close(st);
	return rc < 0 ? 2 : rc ? 0 : 1;
}
