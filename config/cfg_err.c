// SPDX-License-Identifier: GPL-2.0
/*
 * cfg_err.c - error messages and source positions. Every message the
 * module produces goes through cfg_errf() so they all read
 * "FILE:LINE:COLUMN: key.path: problem (what would be valid)". Positions of
 * values are remembered by key path during the walk, so checks that run
 * after parsing (floors, overlaps) can still point at the right spot.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config/cfg_internal.h"

static int vformat(struct cfg_ctx *ctx, struct cfg_mark m, const char *path,
		   const char *fmt, va_list ap)
{
	int n;

	if (!ctx->errlen)
		return -EINVAL;
	n = snprintf(ctx->err, ctx->errlen, "%s:%u:%u: %s%s", ctx->name,
		     m.line ? m.line : 1, m.column ? m.column : 1, path,
		     *path ? ": " : "");
	if (n >= 0 && (size_t)n < ctx->errlen)
		vsnprintf(ctx->err + n, ctx->errlen - (size_t)n, fmt, ap);
	return -EINVAL;
}

int cfg_errf(struct cfg_ctx *ctx, struct cfg_mark m, const char *path,
	     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vformat(ctx, m, path, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int cfg_node_errf(struct cfg_ctx *ctx, const yaml_node_t *node,
		  const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vformat(ctx, cfg_node_mark(node), path, fmt, ap);
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
