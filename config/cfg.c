// SPDX-License-Identifier: GPL-2.0
/*
 * cfg.c - entry points of the config module: the defaults, loading a file
 * or a string through libyaml into a document (which gives every node its
 * line and column), handing the document to the walker and the result to
 * the validator. YAML syntax errors are reported here, at libyaml's
 * problem mark, with the errors of the text before them. Reading the file
 * is the module's only I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_internal.h"

#define CFG_FILE_MAX (1 << 20)	/* a config is a few KiB; refuse surprises */

void cfg_defaults(struct cgnat_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->instance = 1;
	cfg->interfaces.xdp_mode = CFG_XDP_NATIVE;
	cfg->ports.first = 1024;
	cfg->ports.last = 65535;
	cfg->ports.block_size = 256;
	cfg->ports.max_blocks = 8;
	cfg->ports.parity = true;
	cfg->blocks.idle_release_ms = 60 * 1000;
	cfg->blocks.quarantine_ms = CFG_FLOOR_QUARANTINE_MS;
	cfg->blocks.interim_log_ms = 24 * 3600 * 1000ULL;
	cfg->nat.filtering = CFG_FILTER_EIF;
	cfg->nat.hairpinning = true;
	cfg->nat.unsolicited_syn = CFG_SYN_DROP;
	cfg->nat.unreachable.type = 3;
	cfg->nat.unreachable.code = 1;
	cfg->nat.unreachable.rate = 100;
	cfg->timeouts.udp_ms = 300 * 1000;
	cfg->timeouts.n_udp_ports = 1;
	cfg->timeouts.udp_ports[0].port = 53;
	cfg->timeouts.udp_ports[0].timeout_ms = 30 * 1000;
	cfg->timeouts.tcp_established_ms = CFG_FLOOR_TCP_EST_MS;
	cfg->timeouts.tcp_transitory_ms = CFG_FLOOR_TCP_TRANS_MS;
	cfg->timeouts.icmp_ms = CFG_FLOOR_ICMP_MS;
	cfg->limits.sessions = 1048576;
	cfg->limits.sessions_per_subscriber = 8192;
	cfg->limits.subscribers = 65536;
	cfg->thresholds.pool_high = 90;
	cfg->thresholds.pool_low = 75;
	cfg->thresholds.subscriber_high = 90;
	strcpy(cfg->log.database, "/var/lib/cgnat/cgnat.db");
	cfg->log.retention_ms = 180 * 24 * 3600 * 1000ULL;
	cfg->log.max_backlog = 65536;
	cfg->ipfix.observation_domain = 1;
	cfg->ipfix.template_refresh_ms = 60 * 1000;
	cfg->ipfix.pool_id = true;
	cfg->ha.port = 7400;
	cfg->ha.refresh_ms = 10 * 1000;
	cfg->ha.alone_ms = 10 * 1000;
	cfg->pcp.min_lifetime_ms = 120 * 1000;
	cfg->pcp.max_lifetime_ms = 24 * 3600 * 1000ULL;
	cfg->pcp.per_subscriber = 16;
	cfg->pcp.rate = 10;
}

void cfg_free(struct cgnat_config *cfg)
{
	cfg_defaults(cfg);
}

/* Line and column of a byte offset, for reader errors that lack a mark. */
static struct cfg_mark offset_mark(const char *text, size_t len, size_t off)
{
	struct cfg_mark m = { 1, 1 };
	size_t i;

	for (i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			m.line++;
			m.column = 1;
		} else {
			m.column++;
		}
	}
	return m;
}

static int syntax_err(struct cfg_ctx *ctx, const yaml_parser_t *p,
		      const char *text, size_t len)
{
	const char *problem = p->problem ? p->problem : "malformed YAML";
	size_t at = p->problem_mark.index;
	struct cfg_mark m = {
		.line = (uint32_t)p->problem_mark.line + 1,
		.column = (uint32_t)p->problem_mark.column + 1,
	};

	if (p->error == YAML_MEMORY_ERROR) {
		cfg_plain_err(ctx->errs, "%s: out of memory", ctx->name);
		return -ENOMEM;
	}
	if (p->error == YAML_READER_ERROR)
		return cfg_errf(ctx, offset_mark(text, len, p->problem_offset),
				"", "YAML syntax error: %s", problem);
	if (at < len && text[at] == '\t')
		return cfg_errf(ctx, m, "",
				"YAML syntax error: %s (indent with spaces, not tabs)",
				problem);
	if (p->context)
		return cfg_errf(ctx, m, "",
				"YAML syntax error: %s (%s at %u:%u)", problem,
				p->context,
				(unsigned int)p->context_mark.line + 1,
				(unsigned int)p->context_mark.column + 1);
	return cfg_errf(ctx, m, "", "YAML syntax error: %s", problem);
}

/*
 * Where the text before a syntax error ends: the start of the line where
 * the broken construct began (libyaml's context mark, else the problem
 * mark). Sets ctx->partial and ctx->end (past the last non-blank byte).
 */
static size_t set_partial(struct cfg_ctx *ctx, const yaml_parser_t *p,
			  const char *text, size_t len)
{
	size_t cut = p->problem_mark.index;

	if (p->error == YAML_READER_ERROR)
		cut = p->problem_offset;
	else if (p->context && p->context_mark.index < cut)
		cut = p->context_mark.index;
	if (cut > len)
		cut = len;
	while (cut && text[cut - 1] != '\n')
		cut--;
	ctx->partial = true;
	ctx->end = cut;
	while (ctx->end && strchr(" \t\r\n", text[ctx->end - 1]))
		ctx->end--;
	return cut;
}

/* The stream must hold exactly one document. */
static int check_single_doc(struct cfg_ctx *ctx, yaml_parser_t *parser,
			    const char *text, size_t len)
{
	yaml_document_t next;
	yaml_node_t *root;
	int ret = 0;

	if (!yaml_parser_load(parser, &next)) {
		set_partial(ctx, parser, text, len);
		return syntax_err(ctx, parser, text, len);
	}
	root = yaml_document_get_root_node(&next);
	if (root)
		ret = cfg_node_errf(ctx, root, "",
				    "found a second YAML document (the configuration is a single document; remove the '---' line)");
	yaml_document_delete(&next);
	return ret;
}

static int walk_doc(struct cfg_ctx *ctx)
{
	yaml_node_t *root = yaml_document_get_root_node(ctx->doc);

	/* Before a syntax error, a root that is not a mapping is the
	 * broken construct itself.
	 */
	if (ctx->partial && root->type != YAML_MAPPING_NODE)
		return -EINVAL;
	cfg_mark_set(ctx, "", cfg_node_mark(root), NULL);
	cfg_walk_map(ctx, root, "", cfg_root_keys, ctx->cfg,
		     "interfaces: { inside: eth1, outside: eth0 }");
	if (!ctx->partial)
		cfg_validate(ctx);
	return ctx->errs->n ? -EINVAL : 0;
}

static int load_doc(struct cfg_ctx *ctx, yaml_parser_t *parser,
		    const char *text, size_t len)
{
	struct cfg_mark first = { 1, 1 };
	int ret;

	if (!yaml_document_get_root_node(ctx->doc))
		return cfg_errf(ctx, first, "",
				"the configuration is empty (it needs at least interfaces, subscribers and pools)");
	ret = check_single_doc(ctx, parser, text, len);
	/* A second document is reported, the first still checked. */
	if (ret == -ENOMEM)
		return ret;
	return walk_doc(ctx);
}

/* After a syntax error, walk the text before it, if that parses. */
static void walk_before(struct cfg_ctx *ctx, const yaml_parser_t *p,
			const char *text, size_t len)
{
	size_t cut = set_partial(ctx, p, text, len);
	yaml_parser_t parser;
	yaml_document_t doc;

	if (p->error == YAML_MEMORY_ERROR || !cut ||
	    !yaml_parser_initialize(&parser))
		return;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
				     cut);
	if (yaml_parser_load(&parser, &doc)) {
		ctx->doc = &doc;
		if (yaml_document_get_root_node(&doc))
			walk_doc(ctx);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
}

int cfg_load_string_all(const char *name, const char *yaml, size_t len,
			struct cgnat_config *cfg, struct cfg_errors *errs)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct cfg_ctx *ctx;
	int ret;

	memset(errs, 0, sizeof(*errs));
	cfg_defaults(cfg);
	snprintf(cfg->source, sizeof(cfg->source), "%s", name);
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		cfg_plain_err(errs, "%s: out of memory", name);
		return -ENOMEM;
	}
	ctx->name = name;
	ctx->cfg = cfg;
	ctx->errs = errs;
	ctx->doc = &doc;
	ret = -ENOMEM;
	if (!yaml_parser_initialize(&parser)) {
		cfg_plain_err(errs, "%s: out of memory", name);
		goto out_ctx;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, &doc)) {
		ret = syntax_err(ctx, &parser, yaml, len);
		walk_before(ctx, &parser, yaml, len);
		goto out_parser;
	}
	ret = load_doc(ctx, &parser, yaml, len);
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
out_ctx:
	free(ctx);
	cfg_errors_sort(errs);
	return ret;
}

/* The first error found, as the loaders before the *_all ones said it. */
static int first_err(int ret, const struct cfg_errors *errs, char *err,
		     size_t errlen)
{
	if (errlen)
		snprintf(err, errlen, "%s", ret ? errs->first : "");
	return ret;
}

int cfg_load_string(const char *name, const char *yaml, size_t len,
		    struct cgnat_config *cfg, char *err, size_t errlen)
{
	struct cfg_errors *errs = malloc(sizeof(*errs));
	int ret;

	if (!errs) {
		cfg_defaults(cfg);
		if (errlen)
			snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	ret = cfg_load_string_all(name, yaml, len, cfg, errs);
	first_err(ret, errs, err, errlen);
	free(errs);
	return ret;
}

/* Read all of f into a NUL-terminated heap buffer of at most max bytes. */
static int read_all(FILE *f, size_t max, char **out, size_t *len)
{
	size_t cap = 4096, n = 0, got;
	char *buf = NULL, *tmp;

	for (;;) {
		tmp = realloc(buf, cap + 1);
		if (!tmp) {
			free(buf);
			return -ENOMEM;
		}
		buf = tmp;
		errno = 0;
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (ferror(f)) {
			free(buf);
			return errno ? -errno : -EIO;
		}
		if (n < cap)
			break;
		if (cap >= max) {
			free(buf);
			return -EFBIG;
		}
		cap *= 2;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int cfg_load_file_all(const char *path, struct cgnat_config *cfg,
		      struct cfg_errors *errs)
{
	size_t len;
	char *text;
	FILE *f;
	int ret;

	memset(errs, 0, sizeof(*errs));
	cfg_defaults(cfg);
	f = fopen(path, "r");
	if (!f) {
		ret = -errno;
		cfg_plain_err(errs, "%s: cannot open: %s", path,
			      strerror(errno));
		return ret;
	}
	ret = read_all(f, CFG_FILE_MAX, &text, &len);
	fclose(f);
	if (ret) {
		cfg_plain_err(errs, "%s: cannot read: %s", path,
			      ret == -EFBIG ? "larger than 1 MiB" :
					      strerror(-ret));
		return ret;
	}
	ret = cfg_load_string_all(path, text, len, cfg, errs);
	free(text);
	return ret;
}

int cfg_load_file(const char *path, struct cgnat_config *cfg, char *err,
		  size_t errlen)
{
	struct cfg_errors *errs = malloc(sizeof(*errs));
	int ret;

	if (!errs) {
		cfg_defaults(cfg);
		if (errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	ret = cfg_load_file_all(path, cfg, errs);
	first_err(ret, errs, err, errlen);
	free(errs);
	return ret;
}
