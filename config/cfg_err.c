// SPDX-License-Identifier: GPL-2.0
/*
 * cfg_err.c - error messages and source positions. Every message the
 * module produces goes through cfg_errf() so they all read
 * "FILE:LINE:COLUMN: key.path: problem (what would be valid)". Positions of
 * values are remembered by key path during the walk, so checks that run
 * after parsing (floors, overlaps) can still point at the right spot.
 *
 * Errors are collected, not fatal: the walk goes on with the next key or
 * list entry, and each error marks its key path failed. A check across
 * keys that reads a failed path is skipped (cfg_failed()), so one typo
 * gives one error, not a cascade of follow-on ones.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_internal.h"

/* Keep a message; every one counts, the first CFG_ERRORS_MAX are kept. */
static struct cfg_error *add_error(struct cfg_errors *errs,
				   struct cfg_mark m)
{
	struct cfg_error *e;

	errs->n++;
	if (errs->kept >= CFG_ERRORS_MAX)
		return NULL;
	e = &errs->v[errs->kept++];
	e->mark = m;
	e->seq = errs->n;
	e->msg[0] = '\0';
	return e;
}

static void set_failed(struct cfg_ctx *ctx, const char *blame)
{
	if (!blame || ctx->n_failed >= CFG_FAILED_MAX)
		return;
	snprintf(ctx->failed[ctx->n_failed++], CFG_KPATH_LEN, "%s", blame);
}

static int vformat(struct cfg_ctx *ctx, struct cfg_mark m, const char *path,
		   const char *blame, const char *fmt, va_list ap)
{
	struct cfg_error *e;
	char *msg;
	int n;

	set_failed(ctx, blame);
	m.line = m.line ? m.line : 1;
	m.column = m.column ? m.column : 1;
	e = add_error(ctx->errs, m);
	/* The first one is kept even past the cap, for cfg_load_file(). */
	msg = e ? e->msg : ctx->errs->n == 1 ? ctx->errs->first : NULL;
	if (!msg)
		return -EINVAL;
	n = snprintf(msg, CFG_ERR_LEN, "%s:%u:%u: %s%s", ctx->name, m.line,
		     m.column, path, *path ? ": " : "");
	if (n >= 0 && n < CFG_ERR_LEN)
		vsnprintf(msg + n, CFG_ERR_LEN - (size_t)n, fmt, ap);
	if (ctx->errs->n == 1 && msg != ctx->errs->first)
		memcpy(ctx->errs->first, msg, CFG_ERR_LEN);
	return -EINVAL;
}

int cfg_errf(struct cfg_ctx *ctx, struct cfg_mark m, const char *path,
	     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vformat(ctx, m, path, path, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int cfg_blame_errf(struct cfg_ctx *ctx, struct cfg_mark m, const char *path,
		   const char *blame, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vformat(ctx, m, path, blame, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void cfg_plain_err(struct cfg_errors *errs, const char *fmt, ...)
{
	struct cfg_mark none = { 0, 0 };
	struct cfg_error *e = add_error(errs, none);
	char *msg = e ? e->msg : errs->n == 1 ? errs->first : NULL;
	va_list ap;

	if (!msg)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, CFG_ERR_LEN, fmt, ap);
	va_end(ap);
	if (errs->n == 1 && msg != errs->first)
		memcpy(errs->first, msg, CFG_ERR_LEN);
}

/* f is path, or a key path above or below it. */
static bool related(const char *f, const char *path)
{
	size_t lf = strlen(f), lp = strlen(path);
	const char *longer = lf > lp ? f : path;
	size_t shorter = lf > lp ? lp : lf;

	if (strncmp(f, path, shorter))
		return false;
	return lf == lp || !shorter || longer[shorter] == '.' ||
	       longer[shorter] == '[';
}

bool cfg_failed(const struct cfg_ctx *ctx, const char *path)
{
	unsigned int i;

	/* A full table is taken as "anything may have failed". */
	if (ctx->n_failed >= CFG_FAILED_MAX)
		return true;
	for (i = 0; i < ctx->n_failed; i++) {
		if (related(ctx->failed[i], path))
			return true;
	}
	return false;
}

static int cmp_error(const void *a, const void *b)
{
	const struct cfg_error *x = a, *y = b;

	if (x->mark.line != y->mark.line)
		return x->mark.line < y->mark.line ? -1 : 1;
	if (x->mark.column != y->mark.column)
		return x->mark.column < y->mark.column ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void cfg_errors_sort(struct cfg_errors *errs)
{
	qsort(errs->v, errs->kept, sizeof(errs->v[0]), cmp_error);
}

void cfg_errors_summary(const struct cfg_errors *errs, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%u error%s", errs->n,
			 errs->n == 1 ? "" : "s");

	if (errs->n > errs->kept && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " (%u shown)", errs->kept);
}

void cfg_errors_print(FILE *out, const struct cfg_errors *errs)
{
	char sum[64];
	unsigned int i;

	for (i = 0; i < errs->kept; i++)
		fprintf(out, "%s\n", errs->v[i].msg);
	if (errs->n > errs->kept)
		fprintf(out, "... and %u more\n", errs->n - errs->kept);
	cfg_errors_summary(errs, sum, sizeof(sum));
	fprintf(out, "%s\n", sum);
}

int cfg_node_errf(struct cfg_ctx *ctx, const yaml_node_t *node,
		  const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vformat(ctx, cfg_node_mark(node), path, path, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int cfg_type_err(struct cfg_ctx *ctx, const yaml_node_t *node,
		 const char *path, const char *what)
{
	const char *s = cfg_scalar(node);

	if (node->type == YAML_MAPPING_NODE)
		s = "a mapping";
	else if (node->type == YAML_SEQUENCE_NODE)
		s = "a list";
	else if (!s)
		s = "a value containing a NUL byte";
	else if (!*s)
		s = "an empty value";
	else
		return cfg_node_errf(ctx, node, path,
				     "expected %s, got '%.40s'", what, s);
	return cfg_node_errf(ctx, node, path, "expected %s, got %s", what, s);
}

struct cfg_mark cfg_node_mark(const yaml_node_t *node)
{
	struct cfg_mark m = {
		.line = (uint32_t)node->start_mark.line + 1,
		.column = (uint32_t)node->start_mark.column + 1,
	};

	return m;
}

void cfg_mark_set(struct cfg_ctx *ctx, const char *path, struct cfg_mark m,
		  const char *text)
{
	struct cfg_mark_entry *e;

	/* A full table only costs precision: lookups fall back to parents. */
	if (ctx->marks.n >= CFG_MARKS_MAX)
		return;
	e = &ctx->marks.v[ctx->marks.n++];
	snprintf(e->path, sizeof(e->path), "%s", path);
	snprintf(e->text, sizeof(e->text), "%s", text ? text : "");
	e->mark = m;
}

const struct cfg_mark_entry *cfg_mark_find(const struct cfg_ctx *ctx,
					   const char *path)
{
	unsigned int i;

	for (i = 0; i < ctx->marks.n; i++) {
		if (!strcmp(ctx->marks.v[i].path, path))
			return &ctx->marks.v[i];
	}
	return NULL;
}

struct cfg_mark cfg_mark_near(const struct cfg_ctx *ctx, const char *path)
{
	const struct cfg_mark_entry *e;
	char buf[CFG_KPATH_LEN];
	struct cfg_mark none = { 1, 1 };
	char *cut;

	snprintf(buf, sizeof(buf), "%s", path);
	for (;;) {
		e = cfg_mark_find(ctx, buf);
		if (e)
			return e->mark;
		if (!*buf)
			return none;
		cut = strrchr(buf, '.');
		if (!cut || (strrchr(buf, '[') && strrchr(buf, '[') > cut))
			cut = strrchr(buf, '[');
		if (cut)
			*cut = '\0';
		else
			*buf = '\0';
	}
}

void cfg_path_key(char *buf, size_t len, const char *path, const char *key)
{
	snprintf(buf, len, "%s%s%s", path, *path ? "." : "", key);
}

void cfg_path_index(char *buf, size_t len, const char *path, unsigned int i)
{
	snprintf(buf, len, "%s[%u]", path, i);
}
