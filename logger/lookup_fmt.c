// SPDX-License-Identifier: GPL-2.0
/*
 * Formatting of lookup answers (see lookup_fmt.h). Everything goes through
 * a small bounded writer that remembers truncation, so each function
 * reports -ENOSPC once at the end instead of checking every append.
 * Times print as RFC 3339 UTC with milliseconds; JSON also carries the raw
 * millisecond values so scripts need not parse dates.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "logger/lookup_fmt.h"
#include "logger/timefmt.h"

struct writer {
	char *buf;
	size_t len, pos;
	bool full;
};

static void put(struct writer *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct writer *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->pos, w->len - w->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->len - w->pos) {
		w->full = true;
		w->pos = w->len - 1;
		return;
	}
	w->pos += (size_t)n;
}

static int writer_init(struct writer *w, char *buf, size_t len)
{
	if (!len)
		return -ENOSPC;
	*w = (struct writer){ .buf = buf, .len = len };
	buf[0] = '\0';
	return 0;
}

static int writer_done(const struct writer *w)
{
	return w->full ? -ENOSPC : 0;
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void put_json_str(struct writer *w, const char *s)
{
	put(w, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			put(w, "\\%c", c);
		else if (c < 0x20)
			put(w, "\\u%04x", c);
		else
			put(w, "%c", c);
	}
	put(w, "\"");
}

static void put_when(struct writer *w, const struct lookup_query *q)
{
	char a[TIMEFMT_LEN], b[TIMEFMT_LEN];

	timefmt_format(q->from_ms, a, sizeof(a));
	if (q->from_ms == q->to_ms) {
		put(w, "at %s", a);
		return;
	}
	timefmt_format(q->to_ms, b, sizeof(b));
	put(w, "from %s to %s", a, b);
}

/* A deterministic answer: the range a layout version gave, the layout's
 * time in force instead of a holding's, and the quarantine after it when
 * a later version moved the port.
 */
static void put_det_text(struct writer *w, const struct store_block *b,
			 const char *sub, const char *ext, const char *from,
			 const char *to)
{
	char q[TIMEFMT_LEN];

	put(w,
	    " -> subscriber %s (deterministic layout v%u of pool %s %s:%u-%u, "
	    "in force from %s until %s",
	    sub, b->det_version, b->pool, ext, b->port_first, b->port_last,
	    from, to);
	if (b->det_until_ms != b->released_ms) {
		timefmt_format(b->det_until_ms, q, sizeof(q));
		put(w, ", then in quarantine until %s", q);
	}
	put(w, ")");
}

int lookup_fmt_text(const struct lookup_query *q, const struct store_block *b,
		    char *buf, size_t len)
{
	return lookup_fmt_text_node(q, b, NULL, buf, len);
}

int lookup_fmt_text_node(const struct lookup_query *q,
			 const struct store_block *b, const char *node,
			 char *buf, size_t len)
{
	char ext[TIMEFMT_ADDR_LEN], sub[TIMEFMT_ADDR_LEN],
		blk[TIMEFMT_ADDR_LEN];
	char as[TIMEFMT_LEN], rel[TIMEFMT_LEN];
	struct writer w;

	if (writer_init(&w, buf, len) < 0)
		return -ENOSPC;
	timefmt_format_addr(q->ext_addr, ext, sizeof(ext));
	put(&w, "%s:%u ", ext, q->port);
	put_when(&w, q);
	if (!b) {
		put(&w, q->unknown ?
				" -> unknown: no deterministic layout of this "
				"address covers this time, and no block holds it" :
				" -> no subscriber held this port");
		return writer_done(&w);
	}
	timefmt_format_addr(b->sub_addr, sub, sizeof(sub));
	timefmt_format_addr(b->ext_addr, blk, sizeof(blk));
	timefmt_format(b->assigned_ms, as, sizeof(as));
	timefmt_format(b->released_ms, rel, sizeof(rel));
	if (b->det_version)
		put_det_text(&w, b, sub, blk, as, rel);
	else
		put(&w,
		    " -> subscriber %s (block %s:%u-%u, assigned %s, "
		    "released %s)",
		    sub, blk, b->port_first, b->port_last, as, rel);
	if (node)
		put(&w, " node %s", node);
	return writer_done(&w);
}

static void put_time_members(struct writer *w, const char *name, int64_t ms)
{
	char t[TIMEFMT_LEN];

	if (ms == STORE_MS_NONE) {
		put(w, "\"%s\":null,\"%s_ms\":null", name, name);
		return;
	}
	timefmt_format(ms, t, sizeof(t));
	put(w, "\"%s\":\"%s\",\"%s_ms\":%lld", name, t, name, (long long)ms);
}

static void put_block(struct writer *w, const struct store_block *b,
		      const char *node)
{
	char sub[TIMEFMT_ADDR_LEN], ext[TIMEFMT_ADDR_LEN];

	timefmt_format_addr(b->sub_addr, sub, sizeof(sub));
	timefmt_format_addr(b->ext_addr, ext, sizeof(ext));
	put(w,
	    "{\"id\":%lld,\"subscriber\":\"%s\",\"external\":\"%s\","
	    "\"port_first\":%u,\"port_last\":%u,",
	    (long long)b->id, sub, ext, b->port_first, b->port_last);
	put_time_members(w, "assigned", b->assigned_ms);
	put(w, ",");
	put_time_members(w, "released", b->released_ms);
	if (b->released_ms == STORE_MS_NONE)
		put(w, ",\"release_reason\":null");
	else
		put(w, ",\"release_reason\":\"%s\"",
		    store_reason_name(b->release_reason));
	put(w, ",\"instance\":%u,\"pool_id\":%u,\"pool\":", b->instance,
	    b->pool_id);
	put_json_str(w, b->pool);
	if (b->det_version) {
		put(w, ",\"source\":\"deterministic\",\"layout_version\":%u,",
		    b->det_version);
		put_time_members(w, "quarantine_until", b->det_until_ms);
	}
	if (node) {
		put(w, ",\"node\":");
		put_json_str(w, node);
	}
	put(w, "}");
}

int lookup_fmt_block_json(const struct store_block *b, char *buf, size_t len)
{
	return lookup_fmt_block_json_node(b, NULL, buf, len);
}

int lookup_fmt_block_json_node(const struct store_block *b, const char *node,
			       char *buf, size_t len)
{
	struct writer w;

	if (writer_init(&w, buf, len) < 0)
		return -ENOSPC;
	put_block(&w, b, node);
	return writer_done(&w);
}

int lookup_fmt_json(const struct lookup_query *q,
		    const struct store_block *blocks, size_t n, char *buf,
		    size_t len)
{
	return lookup_fmt_json_nodes(q, blocks, NULL, n, buf, len);
}

/* Two answers for one instant are expected in one case: a deterministic
 * layout change moved the port, and the instant is in its quarantine.
 */
static bool det_quarantine(const struct store_block *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!v[i].det_version)
			return false;
	return n == 2 && v[0].det_version != v[1].det_version;
}

int lookup_fmt_json_nodes(const struct lookup_query *q,
			  const struct store_block *blocks,
			  const char *const *nodes, size_t n, char *buf,
			  size_t len)
{
	char ext[TIMEFMT_ADDR_LEN], a[TIMEFMT_LEN], b[TIMEFMT_LEN];
	struct writer w;
	size_t i;

	if (writer_init(&w, buf, len) < 0)
		return -ENOSPC;
	timefmt_format_addr(q->ext_addr, ext, sizeof(ext));
	timefmt_format(q->from_ms, a, sizeof(a));
	timefmt_format(q->to_ms, b, sizeof(b));
	put(&w, "{\"query\":{\"address\":\"%s\",\"port\":%u,", ext, q->port);
	if (q->from_ms == q->to_ms)
		put(&w, "\"at\":\"%s\",\"at_ms\":%lld}", a,
		    (long long)q->from_ms);
	else
		put(&w,
		    "\"from\":\"%s\",\"from_ms\":%lld,\"to\":\"%s\","
		    "\"to_ms\":%lld}",
		    a, (long long)q->from_ms, b, (long long)q->to_ms);
	put(&w, ",\"found\":%s,", n ? "true" : "false");
	if (q->unknown && !n)
		put(&w, "\"unknown\":true,");
	put(&w, "\"matches\":[");
	for (i = 0; i < n; i++) {
		if (i)
			put(&w, ",");
		put_block(&w, &blocks[i], nodes ? nodes[i] : NULL);
	}
	put(&w, "]");
	if (q->from_ms == q->to_ms && n > 1 && det_quarantine(blocks, n))
		put(&w,
		    ",\"note\":\"the instant falls in the quarantine after a "
		    "deterministic layout change: either subscriber\"");
	else if (q->from_ms == q->to_ms && n > 1)
		put(&w,
		    ",\"error\":\"%zu holdings match one instant; the log is "
		    "inconsistent\"",
		    n);
	put(&w, "}");
	return writer_done(&w);
}

int lookup_fmt_history_text(const struct store_block *b, char *buf, size_t len)
{
	return lookup_fmt_history_text_node(b, NULL, buf, len);
}

int lookup_fmt_history_text_node(const struct store_block *b,
				 const char *node, char *buf, size_t len)
{
	char sub[TIMEFMT_ADDR_LEN], ext[TIMEFMT_ADDR_LEN];
	char as[TIMEFMT_LEN], rel[TIMEFMT_LEN];
	struct writer w;

	if (writer_init(&w, buf, len) < 0)
		return -ENOSPC;
	timefmt_format_addr(b->sub_addr, sub, sizeof(sub));
	timefmt_format_addr(b->ext_addr, ext, sizeof(ext));
	timefmt_format(b->assigned_ms, as, sizeof(as));
	timefmt_format(b->released_ms, rel, sizeof(rel));
	put(&w, "%s %s %s %s:%u-%u pool %s released %s", as, rel, sub, ext,
	    b->port_first, b->port_last, b->pool[0] ? b->pool : "-",
	    b->released_ms == STORE_MS_NONE ?
		    "-" :
		    store_reason_name(b->release_reason));
	if (b->det_version)
		put(&w, " deterministic layout v%u", b->det_version);
	if (node)
		put(&w, " node %s", node);
	return writer_done(&w);
}
