// SPDX-License-Identifier: GPL-2.0
/*
 * cfg_yaml.c - walks a libyaml document against the key tables of
 * cfg_schema.c. One generic walker handles what every mapping needs:
 * type checks, unknown keys (with the closest valid key as a suggestion),
 * duplicate keys, required keys, and the common scalar kinds with their
 * ranges. Lists and odd scalars are left to the tables' parse() hooks.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/cfg_internal.h"

yaml_node_t *cfg_node(struct cfg_ctx *ctx, int index)
{
	return yaml_document_get_node(ctx->doc, index);
}

const char *cfg_scalar(const yaml_node_t *node)
{
	const char *s;

	if (node->type != YAML_SCALAR_NODE)
		return NULL;
	s = (const char *)node->data.scalar.value;
	return strlen(s) == node->data.scalar.length ? s : NULL;
}

static void store_uint(void *field, size_t size, uint64_t v)
{
	switch (size) {
	case 1:
		*(uint8_t *)field = (uint8_t)v;
		break;
	case 2:
		*(uint16_t *)field = (uint16_t)v;
		break;
	case 4:
		*(uint32_t *)field = (uint32_t)v;
		break;
	default:
		*(uint64_t *)field = v;
		break;
	}
}

/* "1..32", "only 3 is allowed", "0s to disable, or 60s..30d". */
static void range_text(const struct cfg_key *k, char *buf, size_t len)
{
	char lo[24], hi[24];
	const char *off = k->flags & CFG_F_ZERO_OFF ? "0 to disable, or " : "";

	if (k->kind == CFG_K_DURATION) {
		cfg_format_duration(k->min, lo, sizeof(lo));
		cfg_format_duration(k->max, hi, sizeof(hi));
		if (*off)
			off = "0s to disable, or ";
	} else {
		snprintf(lo, sizeof(lo), "%llu", (unsigned long long)k->min);
		snprintf(hi, sizeof(hi), "%llu", (unsigned long long)k->max);
	}
	if (k->min == k->max)
		snprintf(buf, len, "only %s is allowed", lo);
	else
		snprintf(buf, len, "%s%s..%s", off, lo, hi);
}

static bool in_range(const struct cfg_key *k, uint64_t v)
{
	if (v == 0 && (k->flags & CFG_F_ZERO_OFF))
		return true;
	return v >= k->min && v <= k->max;
}

static int walk_number(struct cfg_ctx *ctx, const struct cfg_key *k,
		       yaml_node_t *node, const char *path, void *field)
{
	bool dur = k->kind == CFG_K_DURATION;
	const char *s = cfg_scalar(node);
	char range[96];
	uint64_t v;
	int ret;

	range_text(k, range, sizeof(range));
	if (!s || !*s)
		return cfg_type_err(ctx, node, path,
				    dur ? "a duration (e.g. 300s)" :
					  "an unsigned integer");
	ret = dur ? cfg_parse_duration(s, &v) : cfg_parse_uint(s, UINT64_MAX,
							       &v);
	if (ret == -EINVAL && dur)
		return cfg_node_errf(ctx, node, path,
				     "'%s' is not a duration (N, Nms, Ns, Nm, Nh or Nd, e.g. 300s)",
				     s);
	if (ret == -EINVAL)
		return cfg_node_errf(ctx, node, path,
				     "'%s' is not an unsigned integer (%s)", s,
				     range);
	if (ret || !in_range(k, v))
		return cfg_node_errf(ctx, node, path, "%s is out of range (%s)",
				     s, range);
	store_uint(field, k->size, v);
	return 0;
}

static int walk_enum(struct cfg_ctx *ctx, const struct cfg_key *k,
		     yaml_node_t *node, const char *path, void *field)
{
	const char *s = cfg_scalar(node);
	const struct cfg_enum_name *e;
	char valid[160] = "";
	size_t n = 0;

	for (e = k->names; s && e->name; e++) {
		if (!strcmp(s, e->name)) {
			*(int *)field = e->value;
			return 0;
		}
	}
	for (e = k->names; e->name && n < sizeof(valid); e++)
		n += (size_t)snprintf(valid + n, sizeof(valid) - n, "%s%s",
				      n ? ", " : "", e->name);
	if (!s || !*s) {
		char what[200];

		snprintf(what, sizeof(what), "one of %s", valid);
		return cfg_type_err(ctx, node, path, what);
	}
	return cfg_node_errf(ctx, node, path, "'%s' is not valid (one of %s)",
			     s, valid);
}

int cfg_walk_value(struct cfg_ctx *ctx, const struct cfg_key *k,
		   yaml_node_t *node, const char *path, void *field)
{
	const char *s;

	switch (k->kind) {
	case CFG_K_UINT:
	case CFG_K_DURATION:
		return walk_number(ctx, k, node, path, field);
	case CFG_K_BOOL:
		s = cfg_scalar(node);
		if (!s || !*s)
			return cfg_type_err(ctx, node, path, "true or false");
		if (cfg_parse_bool(s, field))
			return cfg_node_errf(ctx, node, path,
					     "'%s' is not a boolean (true or false)",
					     s);
		return 0;
	case CFG_K_ENUM:
		return walk_enum(ctx, k, node, path, field);
	case CFG_K_MAP:
		return cfg_walk_map(ctx, node, path, k->sub, field, k->hint);
	case CFG_K_FUNC:
		return k->parse(ctx, node, path, field);
	}
	return -EINVAL;
}

/*
 * An unknown key is ignored. When it looks like a typo of a valid key, that
 * key is blamed (its checks across keys are skipped) and its index returned
 * so that it is not also reported missing; else -1.
 */
static int unknown_key(struct cfg_ctx *ctx, yaml_node_t *kn, const char *path,
		       const struct cfg_key *keys, const char *name)
{
	const struct cfg_key *k, *best = NULL;
	unsigned int d, best_d = ~0U, limit = (unsigned int)strlen(name) / 3;
	char valid[256] = "", blame[CFG_KPATH_LEN];
	size_t n = 0;

	for (k = keys; k->name; k++) {
		d = cfg_edit_distance(name, k->name);
		if (d < best_d) {
			best_d = d;
			best = k;
		}
	}
	limit = limit < 1 ? 1 : limit > 3 ? 3 : limit;
	if (best && best_d <= limit) {
		cfg_path_key(blame, sizeof(blame), path, best->name);
		cfg_blame_errf(ctx, cfg_node_mark(kn), path, blame,
			       "unknown key '%s' (did you mean '%s'?)", name,
			       best->name);
		return (int)(best - keys);
	}
	for (k = keys; k->name && n < sizeof(valid); k++)
		n += (size_t)snprintf(valid + n, sizeof(valid) - n, "%s%s",
				      n ? ", " : "", k->name);
	cfg_blame_errf(ctx, cfg_node_mark(kn), path, NULL,
		       "unknown key '%.40s' (valid keys: %s)", name, valid);
	return -1;
}

/*
 * One key: value. seen[i] is set once key i is given; guessed[i] once an
 * unknown key looked like a typo of it.
 */
static int walk_pair(struct cfg_ctx *ctx, yaml_node_pair_t *pair,
		     const char *path, const struct cfg_key *keys, void *base,
		     yaml_node_t **seen, bool *guessed)
{
	yaml_node_t *kn = cfg_node(ctx, pair->key);
	yaml_node_t *vn = cfg_node(ctx, pair->value);
	const char *name = cfg_scalar(kn);
	char sub[CFG_KPATH_LEN];
	struct cfg_mark first;
	int i;

	if (!name || !*name)
		return cfg_type_err(ctx, kn, path, "a key name");
	/* "key:" on the last line before a syntax error: its value is on
	 * the broken lines, not empty.
	 */
	if (ctx->partial && vn->type == YAML_SCALAR_NODE &&
	    !vn->data.scalar.length &&
	    vn->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    vn->start_mark.index >= ctx->end)
		return 0;
	for (i = 0; keys[i].name && strcmp(keys[i].name, name); i++)
		;
	if (!keys[i].name) {
		i = unknown_key(ctx, kn, path, keys, name);
		if (i >= 0)
			guessed[i] = true;
		return -EINVAL;
	}
	cfg_path_key(sub, sizeof(sub), path, name);
	if (seen[i]) {
		first = cfg_node_mark(seen[i]);
		return cfg_node_errf(ctx, kn, sub,
				     "duplicate key (first given at %u:%u)",
				     first.line, first.column);
	}
	seen[i] = kn;
	cfg_mark_set(ctx, sub, cfg_node_mark(vn), cfg_scalar(vn));
	return cfg_walk_value(ctx, &keys[i], vn, sub,
			      (char *)base + keys[i].off);
}

/* Every pair is walked, also after an error: each is reported. */
int cfg_walk_map(struct cfg_ctx *ctx, yaml_node_t *node, const char *path,
		 const struct cfg_key *keys, void *base, const char *hint)
{
	yaml_node_t *seen[CFG_KEYS_MAX] = { NULL };
	bool guessed[CFG_KEYS_MAX] = { false };
	yaml_node_pair_t *pair;
	char what[128], sub[CFG_KPATH_LEN];
	int i, ret = 0;

	if (node->type != YAML_MAPPING_NODE) {
		snprintf(what, sizeof(what), "a mapping%s%s%s",
			 hint ? " (e.g. " : "", hint ? hint : "",
			 hint ? ")" : "");
		return cfg_type_err(ctx, node, path, what);
	}
	for (pair = node->data.mapping.pairs.start;
	     pair < node->data.mapping.pairs.top; pair++) {
		if (walk_pair(ctx, pair, path, keys, base, seen, guessed))
			ret = -EINVAL;
	}
	/* Before a syntax error, a key may just be further down the file. */
	for (i = 0; !ctx->partial && keys[i].name; i++) {
		if (!(keys[i].flags & CFG_F_REQUIRED) || seen[i] || guessed[i])
			continue;
		cfg_path_key(sub, sizeof(sub), path, keys[i].name);
		ret = cfg_blame_errf(ctx, cfg_node_mark(node), path, sub,
				     "missing required key '%s' (e.g. %s: %s)",
				     keys[i].name, keys[i].name, keys[i].hint);
	}
	return ret;
}
