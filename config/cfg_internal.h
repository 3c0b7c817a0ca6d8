/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cfg_internal.h - what the files of config/ share and nobody else sees:
 * the load context, the table of source positions that lets checks made
 * after parsing still name FILE:LINE:COLUMN, and the key tables that drive
 * the YAML walk. Prototypes are grouped by the file that defines them.
 */
#ifndef CGNAT_CFG_INTERNAL_H
#define CGNAT_CFG_INTERNAL_H

#include <yaml.h>

#include "config/cfg.h"

#define CFG_KEY_MAX 32		/* longest key compared for suggestions */
#define CFG_KPATH_LEN 64	/* "pools[15].subscribers[63]" and the like */
#define CFG_TEXT_LEN 32		/* value as written, kept for messages */
#define CFG_MARKS_MAX 256
#define CFG_KEYS_MAX 16		/* keys in one mapping */

/* Where the value at a dotted key path was written, and how. */
struct cfg_mark_entry {
	char path[CFG_KPATH_LEN];
	char text[CFG_TEXT_LEN];
	struct cfg_mark mark;
};

struct cfg_marks {
	unsigned int n;
	struct cfg_mark_entry v[CFG_MARKS_MAX];
};

#define CFG_FAILED_MAX 64	/* key paths that had an error */

struct cfg_ctx {
	const char *name;	/* file name for messages */
	yaml_document_t *doc;
	struct cgnat_config *cfg;
	struct cfg_marks marks;
	struct cfg_errors *errs;
	/* Key paths whose value had an error: checks that read them skip. */
	unsigned int n_failed;
	char failed[CFG_FAILED_MAX][CFG_KPATH_LEN];
	/* Walking the text before a syntax error: keys after it are unseen,
	 * so missing keys and checks across keys are not reported.
	 */
	bool partial;
	size_t end;		/* partial: just past the last text walked */
};

enum cfg_kind {
	CFG_K_UINT,		/* unsigned integer of width size */
	CFG_K_BOOL,
	CFG_K_DURATION,		/* uint64_t milliseconds */
	CFG_K_ENUM,		/* int-sized enum, values in names */
	CFG_K_MAP,		/* nested mapping described by sub */
	CFG_K_FUNC,		/* anything else: parse() does it */
};

#define CFG_F_REQUIRED 0x1	/* missing key is an error */
#define CFG_F_ZERO_OFF 0x2	/* 0 is allowed below min, meaning "off" */

struct cfg_enum_name {
	const char *name;
	int value;
};

/*
 * One key of a mapping. off and size locate the field inside the struct
 * the mapping fills; min and max bound numbers and durations (ms). hint is
 * an example value, shown when the key is missing or has the wrong type.
 */
struct cfg_key {
	const char *name;
	enum cfg_kind kind;
	size_t off;
	size_t size;
	uint64_t min;
	uint64_t max;
	unsigned int flags;
	const struct cfg_key *sub;
	/* A list whose entries are mappings of these keys (pools, collectors):
	 * parse() walks them; the key listing (tests/package) reads it. */
	const struct cfg_key *items;
	const struct cfg_enum_name *names;
	int (*parse)(struct cfg_ctx *ctx, yaml_node_t *node, const char *path,
		     void *field);
	const char *hint;
};

/* --- cfg_err.c ---------------------------------------------------------- */

/*
 * Record "name:line:col: path: message" in ctx->errs and path as failed;
 * returns -EINVAL. Loading goes on after it.
 */
int cfg_errf(struct cfg_ctx *ctx, struct cfg_mark m, const char *path,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* As cfg_errf(), but mark blame failed instead of path (NULL: nothing). */
int cfg_blame_errf(struct cfg_ctx *ctx, struct cfg_mark m, const char *path,
		   const char *blame, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* An error with no position in the text (out of memory, unreadable). */
void cfg_plain_err(struct cfg_errors *errs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Whether path, a value inside it, or a value enclosing it had an error. */
bool cfg_failed(const struct cfg_ctx *ctx, const char *path);
/* Sort errs->v into file order, once loading is done. */
void cfg_errors_sort(struct cfg_errors *errs);
/* As cfg_errf() at the start of node. */
int cfg_node_errf(struct cfg_ctx *ctx, const yaml_node_t *node,
		  const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* "expected <what>, got a list" and the like. */
int cfg_type_err(struct cfg_ctx *ctx, const yaml_node_t *node,
		 const char *path, const char *what);
struct cfg_mark cfg_node_mark(const yaml_node_t *node);
void cfg_mark_set(struct cfg_ctx *ctx, const char *path, struct cfg_mark m,
		  const char *text);
const struct cfg_mark_entry *cfg_mark_find(const struct cfg_ctx *ctx,
					   const char *path);
/* Mark of path, else of its nearest enclosing key, else of the document. */
struct cfg_mark cfg_mark_near(const struct cfg_ctx *ctx, const char *path);
void cfg_path_key(char *buf, size_t len, const char *path, const char *key);
void cfg_path_index(char *buf, size_t len, const char *path, unsigned int i);

/* --- cfg_yaml.c --------------------------------------------------------- */

yaml_node_t *cfg_node(struct cfg_ctx *ctx, int index);
/* The scalar's text, or NULL if node is not a scalar without NUL bytes. */
const char *cfg_scalar(const yaml_node_t *node);
/* Walk every pair of a mapping, reporting each error; -EINVAL if any. */
int cfg_walk_map(struct cfg_ctx *ctx, yaml_node_t *node, const char *path,
		 const struct cfg_key *keys, void *base, const char *hint);
/* Parse node as key k describes and store it at field. */
int cfg_walk_value(struct cfg_ctx *ctx, const struct cfg_key *k,
		   yaml_node_t *node, const char *path, void *field);

/* --- cfg_schema.c ------------------------------------------------------- */

extern const struct cfg_key cfg_root_keys[];
extern const struct cfg_key cfg_pool_keys[];
extern const struct cfg_key cfg_collector_keys[];

/* --- cfg_lists.c -------------------------------------------------------- */

/* A non-empty list of prefixes; example is shown in messages. */
int cfg_parse_prefix_list(struct cfg_ctx *ctx, yaml_node_t *node,
			  const char *path, struct cfg_prefix_list *list,
			  const char *example);
/* field: struct cgnat_config */
int cfg_parse_pools(struct cfg_ctx *ctx, yaml_node_t *node, const char *path,
		    void *field);
/* field: struct cfg_ipfix */
int cfg_parse_collectors(struct cfg_ctx *ctx, yaml_node_t *node,
			 const char *path, void *field);
/* field: struct cfg_timeouts */
int cfg_parse_udp_ports(struct cfg_ctx *ctx, yaml_node_t *node,
			const char *path, void *field);

/* --- cfg_validate.c ----------------------------------------------------- */

/* Checks across keys, after the walk; fills defaulted pool subscribers. */
int cfg_validate(struct cfg_ctx *ctx);
/* cfg_det.c: the deterministic pools' keys and layouts. */
int cfg_check_det(struct cfg_ctx *ctx);

/* --- cfg_values.c ------------------------------------------------------- */

unsigned int cfg_edit_distance(const char *a, const char *b);

#endif /* CGNAT_CFG_INTERNAL_H */
