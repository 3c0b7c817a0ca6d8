// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_log.c - the answers from the compliance log: lookup of an external
 * IP:PORT at an instant or over a window, and a subscriber's history.
 * Formatting is logger/lookup_fmt.c's, so the daemon's tests and the
 * operator see the same lines. With --central (or --fleet) the answers
 * come from the fleet log in PostgreSQL with the same semantics and
 * lines, each naming the node that held the block.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central/central.h"
#include "daemon/ctl.h"
#include "daemon/detlog.h"
#include "logger/lookup_fmt.h"
#include "logger/timefmt.h"

struct matches {
	struct store_block *v;
	char **node; /* per match; NULL for the local log */
	size_t n, cap;
};

/* A node's deterministic layouts, from the fleet log. */
struct det_node {
	char name[CENTRAL_NODE_MAX + 1];
	struct detlog_history h;
};

/* Where the answers come from: the local SQLite log or the fleet's; with
 * either, also the deterministic layouts (loaded once): the local log's
 * in det, each node's in nodes (the same arithmetic runs on both).
 */
struct src {
	struct store *st;
	struct pgc *pg;
	struct detlog_history det;
	struct det_node *nodes;
	size_t n_nodes;
};

static int keep_node(const struct store_block *b, const char *node, void *ctx)
{
	struct matches *m = ctx;
	struct store_block *v;
	char **nv;

	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 8;
		v = realloc(m->v, m->cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		m->v = v;
		nv = realloc(m->node, m->cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		m->node = nv;
	}
	m->node[m->n] = node ? strdup(node) : NULL;
	if (node && !m->node[m->n])
		return -ENOMEM;
	m->v[m->n++] = *b;
	return 0;
}

static int keep(const struct store_block *b, void *ctx)
{
	return keep_node(b, NULL, ctx);
}

static void matches_free(struct matches *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->node[i]);
	free(m->node);
	free(m->v);
}

/* The node names of m for the formatter, or NULL (local log). */
static const char *const *nodes_of(const struct src *s, const struct matches *m)
{
	return s->pg ? (const char *const *)m->node : NULL;
}

static const char *errmsg(const struct src *s)
{
	return s->pg ? s->pg->err : store_errmsg(s->st);
}

/* central_det_versions() callback: rows come node by node. */
static int add_node_row(const struct store_det_layout *l, const char *node,
			void *ctx)
{
	struct src *s = ctx;
	struct det_node *v;

	if (!s->n_nodes || strcmp(s->nodes[s->n_nodes - 1].name, node)) {
		v = realloc(s->nodes, (s->n_nodes + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->nodes = v;
		v = &s->nodes[s->n_nodes++];
		memset(v, 0, sizeof(*v));
		snprintf(v->name, sizeof(v->name), "%s", node);
	}
	return detlog_history_add(&s->nodes[s->n_nodes - 1].h, l);
}

static void src_close(struct src *s);

static int src_open(struct ctl *c, struct src *s)
{
	memset(s, 0, sizeof(*s));
	if (c->central) {
		s->pg = ctl_central(c);
		if (!s->pg)
			return -1;
		if (central_det_versions(s->pg, add_node_row, s) < 0) {
			ctl_err("central layout log: %s", s->pg->err);
			src_close(s);
			return -1;
		}
		return 0;
	}
	s->st = ctl_store(c);
	if (!s->st)
		return -1;
	if (detlog_history_load(s->st, &s->det)) {
		ctl_err("layout log: %s", store_errmsg(s->st));
		store_close(s->st);
		return -1;
	}
	return 0;
}

static void src_close(struct src *s)
{
	size_t i;

	for (i = 0; i < s->n_nodes; i++)
		detlog_history_free(&s->nodes[i].h);
	free(s->nodes);
	detlog_history_free(&s->det);
	store_close(s->st);
	ctl_central_close(s->pg);
}

static int parse_time(const char *s, const char *opt, int64_t *ms)
{
	char err[TIMEFMT_ERR_LEN];

	if (timefmt_parse(s, ms, err, sizeof(err))) {
		ctl_err("%s: %s", opt, err);
		return -EINVAL;
	}
	return 0;
}

/* --at, or --from and --to; the window for history defaults to all. */
int ctl_window(struct ctl *c, int need, int64_t *from, int64_t *to)
{
	if (c->at && (c->from || c->to)) {
		ctl_err("give --at or --from/--to, not both");
		return -EINVAL;
	}
	if (c->at) {
		if (parse_time(c->at, "--at", from))
			return -EINVAL;
		*to = *from;
		return 0;
	}
	if ((need || c->from || c->to) && (!c->from || !c->to)) {
		ctl_err("%s", need ? "give --at TIME or --from TIME --to TIME"
				   : "give both --from and --to");
		return -EINVAL;
	}
	*from = 0;
	*to = TIMEFMT_MAX_MS;
	if (c->from && (parse_time(c->from, "--from", from) ||
			parse_time(c->to, "--to", to)))
		return -EINVAL;
	if (*from > *to) {
		ctl_err("--from is after --to");
		return -EINVAL;
	}
	return 0;
}

/* Was the time asked inside an HA takeover's unsynchronised window?
 * Then the answer says so rather than let "not found" (or one holding)
 * look final: a JSON member, or a text line. note[0] = 0 if not.
 */
static void ha_window(struct ctl *c, const struct src *s,
		      const struct lookup_query *q, int found, char *note,
		      size_t len)
{
	int64_t synced, at;
	char a[TIMEFMT_LEN], b[TIMEFMT_LEN];

	note[0] = 0;
	if (!s->st ||
	    store_ha_window(s->st, q->from_ms, q->to_ms, &synced, &at) != 1)
		return;
	timefmt_format(synced, a, sizeof(a));
	timefmt_format(at, b, sizeof(b));
	if (c->json)
		snprintf(note, len,
			 "\"ha_unsynced_window\":{\"synced_to\":\"%s\","
			 "\"takeover\":\"%s\"}",
			 synced ? a : "never", b);
	else
		snprintf(note, len,
			 "note: %s an HA unsynchronised window (synced up to "
			 "%s, takeover at %s): the previous active may have "
			 "assigned ports then that this log lacks; %s",
			 q->from_ms == q->to_ms ? "that time falls in"
						: "that window meets",
			 synced ? a : "never", b,
			 found ? "ask its log too"
			       : "unknown here, not nobody: ask its log");
}

static int print_lookup(struct ctl *c, const struct src *s,
			const struct lookup_query *q, const struct matches *m,
			const char *note)
{
	const char *const *nodes = nodes_of(s, m);
	size_t len = LOOKUP_FMT_JSON_LEN * (m->n + 1), i;
	char *buf =
		malloc(len > LOOKUP_FMT_LINE_LEN ? len : LOOKUP_FMT_LINE_LEN);

	if (!buf)
		return 2;
	if (c->json) {
		lookup_fmt_json_nodes(q, m->v, nodes, m->n, buf, len);
		if (note[0] && buf[0] && buf[strlen(buf) - 1] == '}') {
			buf[strlen(buf) - 1] = 0;
			printf("%s,%s}\n", buf, note);
		} else {
			puts(buf);
		}
	} else if (!m->n) {
		lookup_fmt_text(q, NULL, buf, LOOKUP_FMT_LINE_LEN);
		puts(buf);
	}
	for (i = 0; !c->json && i < m->n; i++) {
		lookup_fmt_text_node(q, &m->v[i], nodes ? nodes[i] : NULL, buf,
				     LOOKUP_FMT_LINE_LEN);
		puts(buf);
	}
	if (!c->json && note[0])
		puts(note);
	free(buf);
	return m->n ? 0 : 1;
}

static int by_time(const void *a, const void *b)
{
	const struct store_block *x = a, *y = b;

	if (x->assigned_ms != y->assigned_ms)
		return x->assigned_ms < y->assigned_ms ? -1 : 1;
	return (x->det_version > y->det_version) -
	       (x->det_version < y->det_version);
}

struct match_pair {
	struct store_block b;
	char *node;
};

static int pair_by_time(const void *a, const void *b)
{
	const struct match_pair *x = a, *y = b;

	return by_time(&x->b, &y->b);
}

/* Sorts m by start, keeping each match's node with it. */
static void qsort_matches(struct matches *m)
{
	struct match_pair *t = malloc(m->n * sizeof(*t));
	size_t i;

	if (!t)
		return; /* unsorted is still every answer */
	for (i = 0; i < m->n; i++) {
		t[i].b = m->v[i];
		t[i].node = m->node[i];
	}
	qsort(t, m->n, sizeof(*t), pair_by_time);
	for (i = 0; i < m->n; i++) {
		m->v[i] = t[i].b;
		m->node[i] = t[i].node;
	}
	free(t);
}

struct named {
	struct matches *m;
	const char *node;
};

static int keep_named(const struct store_block *b, void *ctx)
{
	const struct named *n = ctx;

	return keep_node(b, n->node, n->m);
}

/* The deterministic answers beside the block log's: one lookup, one
 * order (by start), one formatter. From the fleet log, each node's
 * layouts answer with its name; "unknown" stands when some node's pool
 * holds the address at an uncovered time and no node's layout answers.
 */
static int lookup_det(const struct src *s, struct lookup_query *q,
		      struct matches *m)
{
	int rc = 0, unk, any_unk = 0, found = 0;
	size_t i;

	if (!s->pg) {
		rc = detlog_lookup(&s->det, q->ext_addr, q->port, q->from_ms,
				   q->to_ms, keep, m, &q->unknown);
		found = rc;
	}
	for (i = 0; s->pg && i < s->n_nodes && rc >= 0; i++) {
		struct named n = {m, s->nodes[i].name};

		rc = detlog_lookup(&s->nodes[i].h, q->ext_addr, q->port,
				   q->from_ms, q->to_ms, keep_named, &n, &unk);
		found += rc > 0 ? rc : 0;
		any_unk |= unk;
	}
	if (s->pg)
		q->unknown = any_unk && !found;
	if (rc >= 0 && found > 0)
		qsort_matches(m);
	return rc < 0 ? rc : found;
}

/* One query on an open store: prints the answer, returns 0/1/2. */
static int lookup_one(struct ctl *c, const struct src *s, const char *ep,
		      int64_t from, int64_t to)
{
	char err[TIMEFMT_ERR_LEN];
	struct lookup_query q = {.from_ms = from, .to_ms = to};
	struct matches m = {0};
	char note[320];
	int rc;

	if (timefmt_parse_endpoint(ep, &q.ext_addr, &q.port, err,
				   sizeof(err))) {
		ctl_err("%s", err);
		return 2;
	}
	if (s->pg)
		rc = central_lookup(s->pg, q.ext_addr, q.port, q.from_ms,
				    q.to_ms, keep_node, &m);
	else if (q.from_ms == q.to_ms)
		rc = store_lookup_at(s->st, q.ext_addr, q.port, q.from_ms, keep,
				     &m);
	else
		rc = store_lookup_range(s->st, q.ext_addr, q.port, q.from_ms,
					q.to_ms, keep, &m);
	if (rc >= 0)
		rc = lookup_det(s, &q, &m);
	if (rc < 0) {
		ctl_err("lookup: %s", errmsg(s));
		rc = 2;
	} else {
		ha_window(c, s, &q, m.n != 0, note, sizeof(note));
		rc = print_lookup(c, s, &q, &m, note);
	}
	matches_free(&m);
	return rc;
}

/*
 * lookup -: one query per input line, "IP:PORT TIME" or "IP:PORT FROM
 * TO", answered in order (one JSON object per line with --json). For
 * abuse reports that come as lists. Exit 0 if every query found a
 * holding, 1 if one did not, 2 if a line was malformed.
 */
static int lookup_batch(struct ctl *c, const struct src *s)
{
	char line[512], ep[64], t1[128], t2[128];
	int64_t from, to;
	int rc = 0, r, n;

	while (fgets(line, sizeof(line), stdin)) {
		n = sscanf(line, "%63s %127s %127s", ep, t1, t2);
		if (n <= 0)
			continue;
		if (n < 2 || parse_time(t1, "time", &from) ||
		    (n == 3 && parse_time(t2, "time", &to))) {
			ctl_err("bad line: %s", line);
			rc = 2;
			continue;
		}
		if (n == 2)
			to = from;
		r = lookup_one(c, s, ep, from, to);
		rc = r > rc ? r : rc;
	}
	fflush(stdout);
	return rc;
}

int cmd_lookup(struct ctl *c)
{
	int64_t from = 0, to = 0;
	struct src s;
	int batch, rc;

	batch = c->argc == 2 && !strcmp(c->argv[1], "-");
	if (c->argc != 2) {
		ctl_err("usage: lookup IP:PORT --at TIME | --from T --to T, "
			"or lookup - (queries on stdin)");
		return 2;
	}
	if (!batch && ctl_window(c, 1, &from, &to))
		return 2;
	if (src_open(c, &s))
		return 2;
	rc = batch ? lookup_batch(c, &s)
		   : lookup_one(c, &s, c->argv[1], from, to);
	src_close(&s);
	return rc;
}

static void print_history_json(uint32_t sub, int64_t from, int64_t to,
			       const struct src *s, const struct matches *m)
{
	char a[TIMEFMT_ADDR_LEN], f[TIMEFMT_LEN], t[TIMEFMT_LEN];
	char buf[LOOKUP_FMT_JSON_LEN];
	size_t i;

	timefmt_format_addr(sub, a, sizeof(a));
	fmt_time(from, f, sizeof(f));
	fmt_time(to, t, sizeof(t));
	printf("{\"subscriber\":\"%s\",\"from\":\"%s\",\"to\":\"%s\","
	       "\"holdings\":[",
	       a, f, t);
	for (i = 0; i < m->n; i++) {
		lookup_fmt_block_json_node(&m->v[i], s->pg ? m->node[i] : NULL,
					   buf, sizeof(buf));
		printf("%s%s", i ? "," : "", buf);
	}
	printf("]}\n");
}

/* A subscriber's deterministic ranges beside its blocks, as lookup_det. */
static int history_det(const struct src *s, uint32_t sub, int64_t from,
		       int64_t to, struct matches *m)
{
	int rc = 0, found = 0;
	size_t i;

	if (!s->pg)
		found = rc = detlog_sub_history(&s->det, sub, from, to, keep, m);
	for (i = 0; s->pg && i < s->n_nodes && rc >= 0; i++) {
		struct named n = {m, s->nodes[i].name};

		rc = detlog_sub_history(&s->nodes[i].h, sub, from, to,
					keep_named, &n);
		found += rc > 0 ? rc : 0;
	}
	if (rc >= 0 && found > 0)
		qsort_matches(m);
	return rc < 0 ? rc : found;
}

int cmd_history(struct ctl *c)
{
	char buf[LOOKUP_FMT_LINE_LEN];
	struct matches m = {0};
	int64_t from, to;
	struct src s;
	uint32_t sub;
	size_t i;
	int rc;

	if (c->argc != 2) {
		ctl_err("usage: history SUBSCRIBER [--from TIME --to TIME]");
		return 2;
	}
	if (parse_sub(c->argv[1], &sub) || ctl_window(c, 0, &from, &to))
		return 2;
	if (src_open(c, &s))
		return 2;
	rc = s.pg ? central_history(s.pg, sub, from, to, keep_node, &m)
		  : store_history(s.st, sub, from, to, keep, &m);
	if (rc >= 0)
		rc = history_det(&s, sub, from, to, &m);
	if (rc < 0) {
		ctl_err("history: %s", errmsg(&s));
		src_close(&s);
		matches_free(&m);
		return 2;
	}
	if (c->json)
		print_history_json(sub, from, to, &s, &m);
	for (i = 0; !c->json && i < m.n; i++) {
		lookup_fmt_history_text_node(&m.v[i], s.pg ? m.node[i] : NULL,
					     buf, sizeof(buf));
		puts(buf);
	}
	if (!c->json && !m.n)
		printf("no holdings of %s in that window\n", c->argv[1]);
	src_close(&s);
	matches_free(&m);
	return m.n ? 0 : 1;
}
