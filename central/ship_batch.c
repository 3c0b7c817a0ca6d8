// SPDX-License-Identifier: GPL-2.0
/*
 * ship_batch.c - see ship_batch.h. COPY text format: tab-separated, \N
 * for NULL, and backslash, tab, newline and carriage return escaped in
 * text (a configuration record spans lines).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central/ship_batch.h"

/* A line's first byte when it is left out: a row starts with its seq. */
#define DEAD '#'

struct ship_batch_asg {
	int64_t id, assigned_ms;
	size_t off; /* of the line in buf */
	unsigned gen;
};

void ship_batch_init(struct ship_batch *b)
{
	memset(b, 0, sizeof(*b));
	ship_batch_reset(b);
}

void ship_batch_reset(struct ship_batch *b)
{
	b->len = 0;
	b->rows = 0;
	b->dropped = 0;
	b->asg_n = 0;
	if (++b->gen == 0) { /* wrapped: what was stale would look fresh */
		if (b->asg)
			memset(b->asg, 0, b->asg_cap * sizeof(*b->asg));
		b->gen = 1;
	}
	b->first_seq = b->last_seq = 0;
	b->min_day = INT64_MAX;
	b->max_day = INT64_MIN;
}

void ship_batch_free(struct ship_batch *b)
{
	free(b->buf);
	free(b->asg);
	memset(b, 0, sizeof(*b));
}

static int reserve(struct ship_batch *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 1 << 16;
	char *p;

	if (b->len + more < b->cap)
		return 0;
	while (cap <= b->len + more)
		cap *= 2;
	p = realloc(b->buf, cap);
	if (!p)
		return -ENOMEM;
	b->buf = p;
	b->cap = cap;
	return 0;
}

static void put_num(struct ship_batch *b, int64_t v, int is_null, char sep)
{
	if (is_null)
		b->len += (size_t)sprintf(b->buf + b->len, "\\N%c", sep);
	else
		b->len += (size_t)sprintf(b->buf + b->len, "%" PRId64 "%c", v,
					  sep);
}

static void put_text(struct ship_batch *b, const char *s, char sep)
{
	char *o = b->buf + b->len;

	if (!s) {
		b->len += (size_t)sprintf(o, "\\N%c", sep);
		return;
	}
	for (; *s; s++) {
		switch (*s) {
		case '\\':
			*o++ = '\\';
			*o++ = '\\';
			break;
		case '\t':
			*o++ = '\\';
			*o++ = 't';
			break;
		case '\n':
			*o++ = '\\';
			*o++ = 'n';
			break;
		case '\r':
			*o++ = '\\';
			*o++ = 'r';
			break;
		default:
			*o++ = *s;
		}
	}
	*o++ = sep;
	b->len = (size_t)(o - b->buf);
}

static void note_day(struct ship_batch *b, int64_t ms)
{
	int64_t d = ms / SHIP_DAY_MS;

	if (d < b->min_day)
		b->min_day = d;
	if (d > b->max_day)
		b->max_day = d;
}

static size_t slot_of(const struct ship_batch *b, int64_t id)
{
	uint64_t h = (uint64_t)id * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h >> 32) & (b->asg_cap - 1);
}

static struct ship_batch_asg *asg_find(struct ship_batch *b, int64_t id)
{
	size_t i;

	if (!b->asg_cap)
		return NULL;
	for (i = slot_of(b, id); b->asg[i].gen == b->gen;
	     i = (i + 1) & (b->asg_cap - 1))
		if (b->asg[i].id == id)
			return &b->asg[i];
	return NULL;
}

static void asg_put(struct ship_batch *b, struct ship_batch_asg e)
{
	size_t i = slot_of(b, e.id);

	while (b->asg[i].gen == b->gen)
		i = (i + 1) & (b->asg_cap - 1);
	e.gen = b->gen;
	b->asg[i] = e;
}

/* Remember an assign line; at most half full, so probes stay short. */
static int asg_add(struct ship_batch *b, int64_t id, int64_t assigned_ms,
		   size_t off)
{
	struct ship_batch_asg *old = b->asg, e = {id, assigned_ms, off, 0};
	size_t i, cap = b->asg_cap;

	if (2 * (b->asg_n + 1) > b->asg_cap) {
		b->asg_cap = cap ? 2 * cap : 4096;
		b->asg = calloc(b->asg_cap, sizeof(*b->asg));
		if (!b->asg) {
			b->asg = old;
			b->asg_cap = cap;
			return -ENOMEM;
		}
		for (i = 0; i < cap; i++)
			if (old[i].gen == b->gen)
				asg_put(b, old[i]);
		free(old);
	}
	asg_put(b, e);
	b->asg_n++;
	return 0;
}

int ship_batch_add(struct ship_batch *b, const struct store_ship_row *r)
{
	struct ship_batch_asg *a = NULL;
	size_t start = b->len;
	int op = r->op;
	const struct store_block *k = &r->b;
	int blk = r->op != STORE_SHIP_CONFIG;
	int full = r->op == STORE_SHIP_ASSIGN || r->op == STORE_SHIP_RELEASE;
	size_t text =
		2 * (strlen(k->pool) + (r->config ? strlen(r->config) : 0));

	if (b->rows && r->seq <= b->last_seq)
		return -EINVAL;
	if (reserve(b, 16 * 24 + text + 16))
		return -ENOMEM;
	if (op == STORE_SHIP_ASSIGN && asg_add(b, k->id, k->assigned_ms, start))
		return -ENOMEM;
	if (op == STORE_SHIP_RELEASE) {
		a = asg_find(b, k->id);
		if (a && a->assigned_ms == k->assigned_ms &&
		    b->buf[a->off] != DEAD) {
			b->buf[a->off] = DEAD; /* its assign stays out */
			b->dropped++;
			op = SHIP_STAGE_CLOSED;
		}
	}
	put_num(b, r->seq, 0, '\t');
	put_num(b, op, 0, '\t');
	put_num(b, r->time_ms, 0, '\t');
	put_num(b, k->id, !blk, '\t');
	put_num(b, k->instance, 0, '\t');
	put_num(b, k->pool_id, !full, '\t');
	put_text(b, full ? k->pool : NULL, '\t');
	put_num(b, k->sub_addr, !full, '\t');
	put_num(b, k->ext_addr, !full, '\t');
	put_num(b, k->port_first, !full, '\t');
	put_num(b, k->port_last, !full, '\t');
	put_num(b, k->assigned_ms, !full, '\t');
	put_num(b, k->release_reason, r->op != STORE_SHIP_RELEASE, '\t');
	put_text(b, r->op == STORE_SHIP_CONFIG ? r->config : NULL, '\n');
	if (!b->rows)
		b->first_seq = r->seq;
	b->last_seq = r->seq;
	b->rows++;
	if (r->op == STORE_SHIP_RELEASE &&
	    r->time_ms - k->assigned_ms < SHIP_DAY_MS)
		note_day(b, k->assigned_ms);
	else if (r->op == STORE_SHIP_INTERIM)
		note_day(b, r->time_ms);
	return 0;
}

void ship_batch_finish(struct ship_batch *b)
{
	char *in = b->buf, *end = b->buf + b->len, *out = b->buf, *nl;
	size_t n;

	if (!b->dropped)
		return;
	while (in < end) {
		nl = memchr(in, '\n', (size_t)(end - in));
		n = (size_t)(nl - in) + 1;
		if (*in != DEAD) {
			memmove(out, in, n);
			out += n;
		}
		in += n;
	}
	b->len = (size_t)(out - b->buf);
	b->dropped = 0;
}

int64_t ship_read_after(int64_t hwm, int64_t first_queued)
{
	if (hwm >= 0)
		return hwm;
	return first_queued > 0 ? first_queued - 1 : 0;
}

int64_t ship_rows_behind(int64_t last_seq, int64_t after)
{
	return last_seq > after ? last_seq - after : 0;
}

int ship_backoff_next(int prev_ms)
{
	if (prev_ms < 500)
		return 500;
	return prev_ms >= 15000 ? 30000 : 2 * prev_ms;
}
