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

void ship_batch_init(struct ship_batch *b)
{
	memset(b, 0, sizeof(*b));
	ship_batch_reset(b);
}

void ship_batch_reset(struct ship_batch *b)
{
	b->len = 0;
	b->rows = 0;
	b->first_seq = b->last_seq = 0;
	b->min_day = INT64_MAX;
	b->max_day = INT64_MIN;
}

void ship_batch_free(struct ship_batch *b)
{
	free(b->buf);
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

int ship_batch_add(struct ship_batch *b, const struct store_ship_row *r)
{
	const struct store_block *k = &r->b;
	int blk = r->op != STORE_SHIP_CONFIG;
	int full = r->op == STORE_SHIP_ASSIGN || r->op == STORE_SHIP_RELEASE;
	size_t text =
		2 * (strlen(k->pool) + (r->config ? strlen(r->config) : 0));

	if (b->rows && r->seq <= b->last_seq)
		return -EINVAL;
	if (reserve(b, 16 * 24 + text + 16))
		return -ENOMEM;
	put_num(b, r->seq, 0, '\t');
	put_num(b, r->op, 0, '\t');
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
