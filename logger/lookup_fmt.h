/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure formatting of lookup and history answers for cgnatctl, as human
 * text and as JSON. No I/O: each function writes one NUL-terminated string
 * into a caller buffer and returns 0, or -ENOSPC when it did not fit (the
 * buffer then holds a truncated string). LOOKUP_FMT_LINE_LEN fits any
 * text line; JSON needs LOOKUP_FMT_JSON_LEN per match plus
 * LOOKUP_FMT_JSON_LEN for the envelope.
 */
#ifndef CGNAT_LOGGER_LOOKUP_FMT_H
#define CGNAT_LOGGER_LOOKUP_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "logger/store.h"

#define LOOKUP_FMT_LINE_LEN 384
#define LOOKUP_FMT_JSON_LEN 768

/* What was asked. A point lookup has from_ms == to_ms. */
struct lookup_query {
	uint32_t ext_addr; /* host order */
	uint16_t port;
	int64_t from_ms;
	int64_t to_ms;
	/* Set by the caller: the address is a deterministic pool's and no
	 * layout covers (part of) the window, so "not found" is unknown. */
	int unknown;
};

/*
 * One line per match, or the not-found line when @b is NULL:
 *   203.0.113.7:40123 at 2026-11-24T10:15:03.000Z -> subscriber
 *   100.64.0.10 (block 203.0.113.7:40192-40447, assigned
 *   2026-11-24T09:00:00.000Z, released -)
 * (on one line). A window prints "from T1 to T2" instead of "at T".
 * A deterministic answer (b->det_version) names the layout instead:
 *   ... -> subscriber 100.64.0.10 (deterministic layout v3 of pool det
 *   203.0.113.7:40192-40447, in force from T1 until T2[, then in
 *   quarantine until T3])
 * and the not-found line of a q->unknown query says "unknown".
 */
int lookup_fmt_text(const struct lookup_query *q, const struct store_block *b,
		    char *buf, size_t len);

/*
 * The whole answer as one JSON object:
 *   {"query":{"address":"203.0.113.7","port":40123,"at":"…"},
 *    "found":true,"matches":[{…block…}]}
 * with "from"/"to" instead of "at" for a window, and an "error" member
 * when a point lookup has more than one match (an inconsistent log),
 * except two deterministic versions in a quarantine ("note"). A
 * deterministic match adds "source", "layout_version" and
 * "quarantine_until"; a q->unknown answer adds "unknown":true.
 */
int lookup_fmt_json(const struct lookup_query *q,
		    const struct store_block *blocks, size_t n, char *buf,
		    size_t len);

/* One block as a JSON object (the members of "matches"). */
int lookup_fmt_block_json(const struct store_block *b, char *buf, size_t len);

/*
 * One history line:
 *   2026-11-24T09:00:00.000Z 2026-11-24T10:00:00.000Z 100.64.0.10
 *   203.0.113.7:40192-40447 pool default released idle
 * with "-" as release time and reason while held.
 */
int lookup_fmt_history_text(const struct store_block *b, char *buf, size_t len);

/*
 * The same answers from the fleet log (cgnatctl --central): each holding
 * also names the node that held it, as " node NAME" at the end of a text
 * line and as a "node" member of a JSON block. A NULL node (or nodes)
 * prints exactly what the functions above print.
 */
int lookup_fmt_text_node(const struct lookup_query *q,
			 const struct store_block *b, const char *node,
			 char *buf, size_t len);
int lookup_fmt_json_nodes(const struct lookup_query *q,
			  const struct store_block *blocks,
			  const char *const *nodes, size_t n, char *buf,
			  size_t len);
int lookup_fmt_block_json_node(const struct store_block *b, const char *node,
			       char *buf, size_t len);
int lookup_fmt_history_text_node(const struct store_block *b, const char *node,
				 char *buf, size_t len);

#endif /* CGNAT_LOGGER_LOOKUP_FMT_H */
