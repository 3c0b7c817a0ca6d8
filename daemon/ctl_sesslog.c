// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_sesslog.c - cgnatctl sessions-log: the per-session log that
 * log.session_events writes (schema/006_sessions.sql), by external
 * IP:PORT at an instant or over a window, or by subscriber. Separate from
 * lookup, whose answer (the block holding) is the one that exists under
 * every configuration; this one adds who talked to whom, when it was
 * logged at all. Exit 0 found, 1 nothing, 2 error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ctl.h"
#include "logger/timefmt.h"

struct sess_list {
	struct store_session *v;
	size_t n, cap;
};

static int keep(const struct store_session *s, void *ctx)
{
	struct sess_list *l = ctx;
	struct store_session *v;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		v = realloc(l->v, l->cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
	}
	l->v[l->n++] = *s;
	return 0;
}

static const char *proto_name(uint8_t p)
{
	return p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" : "other";
}

static void endpoint(uint32_t a, uint16_t port, char *buf, size_t len)
{
	char addr[TIMEFMT_ADDR_LEN];

	timefmt_format_addr(a, addr, sizeof(addr));
	snprintf(buf, len, "%s:%u", addr, port);
}

/* Start "?" when never seen, end "-" while live. */
static void times(const struct store_session *s, char *from, char *to,
		  size_t len)
{
	if (s->start_ms == STORE_MS_NONE)
		snprintf(from, len, "?");
	else
		fmt_time(s->start_ms, from, len);
	fmt_time(s->end_ms, to, len);
}

static void print_text(const struct store_session *s)
{
	char in[32], ext[32], rem[32], from[TIMEFMT_LEN], to[TIMEFMT_LEN];

	endpoint(s->int_addr, s->int_port, in, sizeof(in));
	endpoint(s->ext_addr, s->ext_port, ext, sizeof(ext));
	endpoint(s->rem_addr, s->rem_port, rem, sizeof(rem));
	times(s, from, to, sizeof(from));
	printf("%s %s as %s to %s from %s to %s (%s)\n", proto_name(s->proto),
	       in, ext, rem, from, to, store_sess_end_name(s->end_reason));
}

static void print_json(const struct store_session *s, int first)
{
	char in[32], ext[32], rem[32], from[TIMEFMT_LEN], to[TIMEFMT_LEN];

	endpoint(s->int_addr, s->int_port, in, sizeof(in));
	endpoint(s->ext_addr, s->ext_port, ext, sizeof(ext));
	endpoint(s->rem_addr, s->rem_port, rem, sizeof(rem));
	times(s, from, to, sizeof(from));
	printf("%s{\"protocol\":\"%s\",\"internal\":\"%s\",\"external\":\"%s\","
	       "\"remote\":\"%s\",\"start\":",
	       first ? "" : ",", proto_name(s->proto), in, ext, rem);
	if (s->start_ms == STORE_MS_NONE)
		printf("null");
	else
		printf("\"%s\"", from);
	if (s->end_ms == STORE_MS_NONE)
		printf(",\"end\":null");
	else
		printf(",\"end\":\"%s\"", to);
	printf(",\"end_reason\":\"%s\",\"inbound\":%s,\"hairpin\":%s}",
	       store_sess_end_name(s->end_reason),
	       s->flags & 1 ? "true" : "false",
	       s->flags & 2 ? "true" : "false");
}

static void print_all(struct ctl *c, const char *what, int64_t from,
		      int64_t to, const struct sess_list *l)
{
	char f[TIMEFMT_LEN], t[TIMEFMT_LEN];
	size_t i;

	if (!c->json) {
		for (i = 0; i < l->n; i++)
			print_text(&l->v[i]);
		if (!l->n)
			printf("no logged sessions of %s in that window\n",
			       what);
		return;
	}
	fmt_time(from, f, sizeof(f));
	fmt_time(to, t, sizeof(t));
	printf("{\"query\":");
	json_str(stdout, what);
	printf(",\"from\":\"%s\",\"to\":\"%s\",\"sessions\":[", f, t);
	for (i = 0; i < l->n; i++)
		print_json(&l->v[i], i == 0);
	printf("]}\n");
}

int cmd_sessions_log(struct ctl *c)
{
	char err[TIMEFMT_ERR_LEN];
	struct sess_list l = {0};
	int64_t from, to;
	struct store *st;
	uint32_t addr;
	uint16_t port;
	int by_ext, rc;

	if (c->argc != 2) {
		ctl_err("usage: sessions-log IP:PORT --at TIME | --from T "
			"--to T, or sessions-log SUBSCRIBER [--from T --to T]");
		return 2;
	}
	by_ext = strchr(c->argv[1], ':') != NULL;
	if (by_ext && timefmt_parse_endpoint(c->argv[1], &addr, &port, err,
					     sizeof(err))) {
		ctl_err("%s", err);
		return 2;
	}
	if ((!by_ext && parse_sub(c->argv[1], &addr)) ||
	    ctl_window(c, by_ext, &from, &to))
		return 2;
	st = ctl_store(c);
	if (!st)
		return 2;
	rc = by_ext ? store_sess_lookup(st, addr, port, from, to, keep, &l)
		    : store_sess_history(st, addr, from, to, keep, &l);
	if (rc < 0) {
		ctl_err("sessions-log: %s", store_errmsg(st));
		rc = 2;
	} else {
		print_all(c, c->argv[1], from, to, &l);
		rc = l.n ? 0 : 1;
	}
	store_close(st);
	free(l.v);
	return rc;
}
