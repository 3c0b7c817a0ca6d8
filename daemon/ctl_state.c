// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_state.c - live state from the pinned maps: the sessions of one
 * subscriber, and the blocks held (by one subscriber, or all). Read
 * while the data plane runs; a listing is a snapshot that may be a
 * packet old.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/ctl.h"
#include "daemon/dprun.h"
#include "logger/timefmt.h"

static const char *proto_name(__u8 p)
{
	return p == IPPROTO_TCP	   ? "tcp"
	       : p == IPPROTO_UDP  ? "udp"
	       : p == IPPROTO_ICMP ? "icmp"
				   : "?";
}

static const char *tcp_state(const struct cgnat_sess_key *k,
			     const struct cgnat_sess *s)
{
	__u8 t = s->tcp_seen;

	if (k->proto != IPPROTO_TCP)
		return "-";
	if (t & (CGNAT_TCP_RST | CGNAT_TCP_FIN_OUT | CGNAT_TCP_FIN_IN))
		return "closing";
	if ((t & CGNAT_TCP_SYN_OUT) && (t & CGNAT_TCP_SYN_IN))
		return "established";
	return "syn";
}

static void endpoint(__be32 a, __be16 p, char *buf, size_t len)
{
	char s[TIMEFMT_ADDR_LEN];

	fmt_addr_be(a, s, sizeof(s));
	snprintf(buf, len, "%s:%u", s, ntohs(p));
}

struct sess_out {
	const struct ctl *c;
	__u64 now_ns;
	int n;
};

static int print_session(const struct cgnat_sess_key *k,
			 const struct cgnat_sess *s, void *ctx)
{
	struct sess_out *o = ctx;
	char in[32], ext[32], rem[32];
	long long left =
		((long long)s->expires_ns - (long long)o->now_ns) / 1000000;

	endpoint(k->int_addr, k->int_port, in, sizeof(in));
	endpoint(s->ext_addr, s->ext_port, ext, sizeof(ext));
	endpoint(k->rem_addr, k->rem_port, rem, sizeof(rem));
	if (o->c->json)
		printf("%s{\"proto\":\"%s\",\"internal\":\"%s\","
		       "\"external\":\"%s\",\"remote\":\"%s\",\"state\":"
		       "\"%s\",\"expires_in_ms\":%lld,\"hairpin\":%s,"
		       "\"inbound\":%s}",
		       o->n ? "," : "", proto_name(k->proto), in, ext, rem,
		       tcp_state(k, s), left,
		       s->flags & CGNAT_SF_HAIRPIN ? "true" : "false",
		       s->flags & CGNAT_SF_INBOUND ? "true" : "false");
	else
		printf("%-5s %-21s %-21s %-21s %-11s %llds\n",
		       proto_name(k->proto), in, ext, rem, tcp_state(k, s),
		       left / 1000);
	o->n++;
	return 0;
}

int cmd_sessions(struct ctl *c)
{
	struct sess_out o = {.c = c};
	struct timespec ts;
	struct pins p;
	uint32_t sub;
	int rc;

	if (c->argc != 2) {
		ctl_err("usage: sessions SUBSCRIBER");
		return 2;
	}
	if (parse_sub(c->argv[1], &sub))
		return 2;
	rc = ctl_pins(c, &p);
	if (rc)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	o.now_ns = (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	if (c->json)
		printf("{\"subscriber\":\"%s\",\"sessions\":[", c->argv[1]);
	else
		printf("%-5s %-21s %-21s %-21s %-11s %s\n", "proto", "internal",
		       "external", "remote", "state", "expires in");
	rc = pins_sessions(&p, htonl(sub), print_session, &o);
	if (c->json)
		printf("]}\n");
	else if (rc >= 0)
		printf("%d sessions\n", rc);
	pins_close(&p);
	if (rc < 0) {
		ctl_err("read sessions: %s", strerror(-rc));
		return 2;
	}
	return rc ? 0 : 1;
}

static void print_block(const struct ctl *c, const struct pins *p, __u32 id,
			const struct cgnat_block *b, int n)
{
	const struct cgnat_cfg *g = &p->cfg;
	__u32 a = id / g->blocks_per_addr;
	unsigned int first =
		g->port_lo + (id % g->blocks_per_addr) * g->block_size;
	char ext[TIMEFMT_ADDR_LEN], sub[TIMEFMT_ADDR_LEN], t[TIMEFMT_LEN];
	char pool[CFG_NAME_LEN];

	fmt_addr_be(p->addrs[a].addr, ext, sizeof(ext));
	fmt_addr_be(b->sub_addr, sub, sizeof(sub));
	fmt_time((int64_t)dprun_tai_to_utc_ms(b->assigned_tai_ns), t,
		 sizeof(t));
	ctl_pool_name(c, p->addrs[a].pool, pool, sizeof(pool));
	if (c->json) {
		printf("%s{\"block\":%u,\"external\":\"%s\",\"port_first\":%u,"
		       "\"port_last\":%u,\"subscriber\":\"%s\",\"assigned\":"
		       "\"%s\",\"pool\":",
		       n ? "," : "", id, ext, first, first + g->block_size - 1,
		       sub, t);
		json_str(stdout, pool);
		printf("}");
	} else {
		printf("%-6u %-15s %5u-%-5u %-15s %s %s\n", id, ext, first,
		       first + g->block_size - 1, sub, t, pool);
	}
}

int cmd_blocks(struct ctl *c)
{
	struct pins p;
	uint32_t sub = 0;
	__u32 id;
	int rc, n = 0;

	if (c->argc > 2 || (c->argc == 2 && parse_sub(c->argv[1], &sub))) {
		ctl_err("usage: blocks [SUBSCRIBER]");
		return 2;
	}
	rc = ctl_pins(c, &p);
	if (rc)
		return rc;
	if (c->json)
		printf("{\"blocks\":[");
	else
		printf("%-6s %-15s %-11s %-15s %-24s %s\n", "block", "external",
		       "ports", "subscriber", "assigned (UTC)", "pool");
	for (id = 0; id < p.n_blocks && p.cfg.blocks_per_addr; id++) {
		const struct cgnat_block *b = &p.blocks[id];

		if (!b->owner || (sub && ntohl(b->sub_addr) != sub))
			continue;
		print_block(c, &p, id, b, n++);
	}
	if (c->json)
		printf("]}\n");
	else
		printf("%d blocks held\n", n);
	pins_close(&p);
	return n || !sub ? 0 : 1;
}
