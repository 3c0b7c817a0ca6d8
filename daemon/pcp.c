// SPDX-License-Identifier: GPL-2.0
/*
 * pcp.c - the PCP server (RFC 6887; RFC 6888 REQ-9), answering NAT-PMP
 * (RFC 6886) version 0 requests too as RFC 6887 appendix A allows: one
 * UDP socket on port 5351 bound to the inside interface, read from
 * cgnatd's poll loop. Messages are decoded by pcp_codec.c and mappings
 * written by pcp_dp.c; this file holds the policy: who may ask (sources
 * in the subscriber prefixes only, at most pcp.rate requests a second
 * each), how many mappings each may hold, lifetimes clamped to the
 * configuration, the nonce that authorises a refresh or a delete, the
 * epoch and the ANNOUNCE sent at start.
 *
 * The maps are the truth: a mapping lives in cgnat_mappings with its
 * lifetime, so a restart or an HA takeover loses none. The table here is
 * an index for quotas, nonces and `cgnatctl pcp`, rebuilt from the maps
 * at start and every PCP_RESYNC_S; a mapping found there without this
 * process having granted it (a restart, a takeover) takes the nonce of
 * the first request from its own internal address that refreshes it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/cgnat.skel.h"
#include "daemon/cgnatd.h"
#include "daemon/log.h"
#include "daemon/pcp.h"
#include "daemon/pcp_codec.h"
#include "daemon/pcp_dp.h"
#include "daemon/pcp_tab.h"

#define PCP_RATE_SLOTS 4096 /* per-source counters (hashed) */
#define PCP_GLOBAL_RATE 2000 /* requests a second, all sources */
#define PCP_ERR_LONG_S 1800 /* lifetime of lasting errors (7.2) */
#define PCP_ERR_SHORT_S 30 /* of errors that may clear soon */
#define PCP_RESYNC_S 30
#define PCP_LIST_MAX 10000 /* entries one `cgnatctl pcp` shows */

struct pcp_rate {
	__be32 src;
	__u32 sec;
	__u32 n;
};

struct pcp {
	int fd;
	__u32 start_s; /* epoch 0 (CLOCK_MONOTONIC s) */
	struct pcp_tab t;
	struct pcp_rate rate[PCP_RATE_SLOTS];
	__u32 all_sec, all_n;
	unsigned int announce_left;
	__u32 next_tick_s, next_sync_s;
	struct pcp_stats s;
};

static const char *const pcp_result_names[] = {
	"success",	    "unsupp_version",
	"not_authorized",   "malformed_request",
	"unsupp_opcode",    "unsupp_option",
	"malformed_option", "network_failure",
	"no_resources",	    "unsupp_protocol",
	"user_ex_quota",    "cannot_provide_external",
	"address_mismatch", "excessive_remote_peers",
};

/* ---- the table ---- */

struct pcp_sync_ctx {
	struct pcp *p;
	const struct pcp_tab *old;
};

static int pcp_sync_one(const struct pcp_dp_entry *de, void *arg)
{
	struct pcp_sync_ctx *c = arg;
	struct pcp_entry *e;
	int o;

	if (pcp_tab_find(&c->p->t, de->sub, de->int_port, de->proto) >= 0)
		return 0;
	e = pcp_tab_add(&c->p->t, de->sub, de->int_port, de->proto);
	if (!e)
		return -ENOSPC;
	e->ext_addr = de->ext_addr;
	e->ext_port = de->ext_port;
	e->inbound = de->inbound;
	e->until_s = de->until_s;
	o = pcp_tab_find(c->old, de->sub, de->int_port, de->proto);
	if (o >= 0) {
		const struct pcp_entry *oe = &c->old->e[o];

		e->nonce_known = oe->nonce_known;
		e->natpmp = oe->natpmp;
		memcpy(e->nonce, oe->nonce, sizeof(e->nonce));
	}
	return 0;
}

/* The table again from the maps, keeping the nonces it knew. */
static void pcp_resync(struct cgnatd *d)
{
	struct pcp *p = d->pcp;
	struct pcp_tab old = p->t;
	struct pcp_sync_ctx c = {.p = p, .old = &old};
	int rc;

	memset(&p->t, 0, sizeof(p->t));
	rc = pcp_dp_scan(&d->run.dp, pcp_dp_now_s(), pcp_sync_one, &c);
	if (rc)
		log_warnx("pcp: reading the mappings: %s", strerror(-rc));
	pcp_tab_free(&old);
}

/* ---- admission ---- */

/* 1 when src is over its rate (or all sources are): drop it. */
static int pcp_limited(struct pcp *p, const struct cgnat_config *cfg,
		       __be32 src, __u32 now_s)
{
	struct pcp_rate *r =
		&p->rate[(ntohl(src) * 2654435761u) % PCP_RATE_SLOTS];

	if (p->all_sec != now_s) {
		p->all_sec = now_s;
		p->all_n = 0;
	}
	if (++p->all_n > PCP_GLOBAL_RATE)
		return 1;
	if (r->src != src || r->sec != now_s) {
		r->src = src;
		r->sec = now_s;
		r->n = 0;
	}
	return ++r->n > cfg->pcp.rate;
}

static int pcp_is_sub(struct cgnatd *d, __be32 a)
{
	struct cgnat_sub_prefix k = {.prefixlen = 32, .addr = a};
	__u32 pool;

	return !bpf_map_lookup_elem(
		bpf_map__fd(d->run.dp.skel->maps.cgnat_sub_prefixes), &k,
		&pool);
}

static __u32 pcp_clamp(const struct cgnat_config *cfg, __u32 want)
{
	__u32 lo = cfg->pcp.min_lifetime_ms / 1000;
	__u32 hi = cfg->pcp.max_lifetime_ms / 1000;

	return want < lo ? lo : want > hi ? hi : want;
}

/* ---- granting ---- */

struct pcp_ask {
	__be32 sub;
	__be16 int_port;
	__u8 proto;
	__u8 inbound;
	__u8 strict;
	__u8 natpmp;
	const __u8 *nonce; /* NULL: NAT-PMP */
	__u16 want_port;
	__be32 want_addr;
	__u32 lifetime; /* requested; 0 = delete */
};

/* Deletes the client's mapping of ask (lifetime 0). PCP result. */
static int pcp_unmap(struct cgnatd *d, const struct pcp_ask *a,
		     struct pcp_dp_grant *g)
{
	struct pcp *p = d->pcp;
	int i = pcp_tab_find(&p->t, a->sub, a->int_port, a->proto);

	if (i < 0)
		return PCP_SUCCESS; /* nothing to delete is no error */
	if (a->nonce && p->t.e[i].nonce_known &&
	    memcmp(a->nonce, p->t.e[i].nonce, PCP_NONCE_LEN))
		return PCP_NOT_AUTHORIZED;
	g->ext_addr = p->t.e[i].ext_addr;
	g->ext_port = p->t.e[i].ext_port;
	pcp_dp_set_until(&d->run.dp, a->sub, a->int_port, a->proto, 1);
	pcp_tab_remove(&p->t, i);
	p->s.deleted++;
	return PCP_SUCCESS;
}

/* Every mapping of (sub, proto) (internal port 0, lifetime 0). */
static int pcp_unmap_all(struct cgnatd *d, const struct pcp_ask *a)
{
	struct pcp *p = d->pcp;
	unsigned int i = 0;

	while (i < p->t.n) {
		struct pcp_entry *e = &p->t.e[i];

		if (e->sub != a->sub || e->proto != a->proto ||
		    (a->nonce && e->nonce_known &&
		     memcmp(a->nonce, e->nonce, PCP_NONCE_LEN))) {
			i++;
			continue;
		}
		pcp_dp_set_until(&d->run.dp, e->sub, e->int_port, e->proto, 1);
		pcp_tab_remove(&p->t, i);
		p->s.deleted++;
	}
	return PCP_SUCCESS;
}

static int pcp_result_of(int rc)
{
	switch (rc) {
	case -EADDRNOTAVAIL:
		return PCP_CANNOT_PROVIDE_EXTERNAL;
	case -EDQUOT:
		return PCP_USER_EX_QUOTA;
	case -ENOENT:
		return PCP_NOT_AUTHORIZED;
	}
	return PCP_NO_RESOURCES;
}

/* A MAP, PEER or NAT-PMP mapping request: a PCP result code, the grant
 * in *g and the lifetime given in *life.
 */
static int pcp_grant(struct cgnatd *d, const struct pcp_ask *a,
		     struct pcp_dp_grant *g, __u32 *life)
{
	const struct cgnat_config *cfg = &d->cfg;
	struct pcp *p = d->pcp;
	struct pcp_dp_req q = {0};
	struct pcp_entry *e;
	__u32 now = pcp_dp_now_s();
	int i, rc;

	memset(g, 0, sizeof(*g));
	*life = 0;
	if (!a->lifetime)
		return a->int_port ? pcp_unmap(d, a, g) : pcp_unmap_all(d, a);
	i = pcp_tab_find(&p->t, a->sub, a->int_port, a->proto);
	if (i >= 0 && a->nonce && p->t.e[i].nonce_known &&
	    memcmp(a->nonce, p->t.e[i].nonce, PCP_NONCE_LEN))
		return PCP_NOT_AUTHORIZED; /* another client's (11.3) */
	if (i < 0 && pcp_tab_count(&p->t, a->sub) >= cfg->pcp.per_subscriber)
		return PCP_USER_EX_QUOTA;
	*life = pcp_clamp(cfg, a->lifetime);
	q.sub = a->sub;
	q.int_port = a->int_port;
	q.proto = a->proto;
	q.strict = a->strict;
	q.inbound = a->inbound;
	q.want_port = a->want_port;
	q.want_addr = a->want_addr;
	q.until_s = now + *life;
	rc = pcp_dp_map(&d->run, &q, g);
	if (rc) {
		*life = 0;
		return pcp_result_of(rc);
	}
	if (g->until_s > q.until_s)
		*life = g->until_s - now; /* a PEER kept a longer MAP */
	if (g->new_block)
		p->s.blocks++;
	if (i < 0) {
		e = pcp_tab_add(&p->t, a->sub, a->int_port, a->proto);
		if (!e) {
			pcp_dp_set_until(&d->run.dp, a->sub, a->int_port,
					 a->proto, 1);
			*life = 0;
			return PCP_NO_RESOURCES;
		}
		p->s.granted++;
	} else {
		e = &p->t.e[i];
		p->s.refreshed++;
	}
	e->ext_addr = g->ext_addr;
	e->ext_port = g->ext_port;
	e->inbound |= a->inbound;
	e->natpmp = a->natpmp;
	e->until_s = g->until_s;
	if (a->nonce) {
		memcpy(e->nonce, a->nonce, PCP_NONCE_LEN);
		e->nonce_known = 1;
	}
	return PCP_SUCCESS;
}

/* ---- PCP ---- */

static void pcp_send(struct pcp *p, const void *buf, size_t n,
		     const struct sockaddr_in *to, const struct in_pktinfo *pi)
{
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))] = {0};
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = n};
	struct msghdr mh = {.msg_name = (void *)to,
			    .msg_namelen = sizeof(*to),
			    .msg_iov = &iov,
			    .msg_iovlen = 1};
	struct cmsghdr *c;

	if (pi) { /* answer from the address that was asked */
		struct in_pktinfo out = {.ipi_spec_dst = pi->ipi_addr};

		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(out));
		memcpy(CMSG_DATA(c), &out, sizeof(out));
	}
	if (sendmsg(p->fd, &mh, MSG_DONTWAIT) < 0)
		p->s.send_errors++;
	else
		p->s.answered++;
}

static __u32 pcp_epoch(const struct pcp *p)
{
	return pcp_dp_now_s() - p->start_s;
}

/* MAP or PEER from src (decoded, header checked): fills m's answer. */
static void pcp_mapping(struct cgnatd *d, __be32 src, struct pcp_msg *m)
{
	struct pcp_ask a = {0};
	struct pcp_dp_grant g;
	__be32 ip;

	a.sub = src;
	if (m->third_party) {
		if (!d->cfg.pcp.third_party) {
			m->result = PCP_NOT_AUTHORIZED;
			return;
		}
		if (!pcp_v4(m->tp_ip, &a.sub) || !pcp_is_sub(d, a.sub)) {
			m->result = PCP_NOT_AUTHORIZED;
			return;
		}
	}
	if (m->n_filters) { /* not offered: the filtering is the NAT's */
		m->result = PCP_UNSUPP_OPTION;
		return;
	}
	if (m->proto != IPPROTO_TCP && m->proto != IPPROTO_UDP) {
		m->result = PCP_UNSUPP_PROTOCOL;
		return;
	}
	if (!m->int_port && (m->lifetime || m->opcode == PCP_OP_PEER)) {
		m->result = PCP_MALFORMED_REQUEST; /* 11.1: port 0 deletes */
		return;
	}
	a.int_port = htons(m->int_port);
	a.proto = m->proto;
	a.inbound = m->opcode == PCP_OP_MAP;
	a.strict = m->prefer_failure;
	a.nonce = m->nonce;
	a.want_port = m->ext_port;
	if (!pcp_ip_unspecified(m->ext_ip) && pcp_v4(m->ext_ip, &ip))
		a.want_addr = ip;
	a.lifetime = m->lifetime;
	m->result = pcp_grant(d, &a, &g, &m->lifetime);
	if (m->result)
		return;
	m->ext_port = ntohs(g.ext_port);
	pcp_map_v4(g.ext_addr, m->ext_ip);
}

static void pcp_request(struct cgnatd *d, const __u8 *buf, size_t len,
			const struct sockaddr_in *from,
			const struct in_pktinfo *pi)
{
	struct pcp *p = d->pcp;
	__u8 out[PCP_MAX_LEN];
	struct pcp_msg m;
	__be32 ip;
	size_t n;
	int rc = pcp_decode(buf, len, &m);

	if (rc == PCP_DROP) {
		p->s.dropped_bad++;
		return;
	}
	m.result = rc;
	if (!rc && m.opcode != PCP_OP_ANNOUNCE) {
		if (!pcp_is_sub(d, from->sin_addr.s_addr))
			m.result = PCP_NOT_AUTHORIZED;
		else if (d->run.standby) /* the active's maps rule */
			m.result = PCP_NETWORK_FAILURE;
		else if (!pcp_v4(m.client_ip, &ip) ||
			 ip != from->sin_addr.s_addr)
			m.result = PCP_ADDRESS_MISMATCH; /* a NAT on the way */
		else
			pcp_mapping(d, from->sin_addr.s_addr, &m);
	} else if (!rc) {
		m.lifetime = 0;
	}
	m.version = PCP_VERSION; /* UNSUPP_VERSION: the one we speak */
	if (m.result) {
		m.lifetime =
			m.result == PCP_NO_RESOURCES ||
					m.result == PCP_USER_EX_QUOTA ||
					m.result == PCP_CANNOT_PROVIDE_EXTERNAL
				? PCP_ERR_SHORT_S
				: PCP_ERR_LONG_S;
		p->s.refused[m.result < PCP_RESULTS ? m.result : 0]++;
	}
	m.epoch = pcp_epoch(p);
	n = pcp_encode_response(&m, out, sizeof(out));
	if (n)
		pcp_send(p, out, n, from, pi);
}

/* ---- NAT-PMP ---- */

/* The subscriber's external address; a PBA subscriber without one
 * takes its first block (logged) as its first packet would.
 */
static int natpmp_addr(struct cgnatd *d, __be32 sub, __be32 *ext)
{
	struct pcp_dp_req q = {.sub = sub, .proto = IPPROTO_UDP};

	return pcp_dp_ext_addr(&d->run, &q, ext);
}

static void natpmp_request(struct cgnatd *d, const __u8 *buf, size_t len,
			   const struct sockaddr_in *from,
			   const struct in_pktinfo *pi)
{
	static const __u8 to_natpmp[PCP_RESULTS] = {
		[PCP_NOT_AUTHORIZED] = NATPMP_NOT_AUTHORIZED,
		[PCP_NO_RESOURCES] = NATPMP_NO_RESOURCES,
		[PCP_USER_EX_QUOTA] = NATPMP_NO_RESOURCES,
		[PCP_MALFORMED_REQUEST] = NATPMP_NOT_AUTHORIZED,
	};
	struct pcp *p = d->pcp;
	__be32 src = from->sin_addr.s_addr;
	struct natpmp_msg m;
	struct pcp_dp_grant g;
	struct pcp_ask a = {0};
	__u8 out[16];
	int rc = natpmp_decode(buf, len, &m);
	size_t n;

	p->s.natpmp++;
	if (rc == PCP_DROP) {
		p->s.dropped_bad++;
		return;
	}
	m.result = rc;
	if (!rc && !pcp_is_sub(d, src)) {
		m.result = NATPMP_NOT_AUTHORIZED;
	} else if (!rc && d->run.standby) {
		m.result = NATPMP_NETWORK_FAILURE;
	} else if (!rc && m.opcode == NATPMP_OP_ADDR) {
		if (natpmp_addr(d, src, &m.ext_addr))
			m.result = NATPMP_NETWORK_FAILURE;
	} else if (!rc) {
		a.sub = src;
		a.int_port = htons(m.int_port);
		a.proto = m.opcode == NATPMP_OP_MAP_TCP ? IPPROTO_TCP
							: IPPROTO_UDP;
		a.inbound = 1;
		a.natpmp = 1;
		a.want_port = m.ext_port;
		a.lifetime = m.lifetime;
		rc = pcp_grant(d, &a, &g, &m.lifetime);
		if (rc) {
			m.result = to_natpmp[rc] ? to_natpmp[rc]
						 : NATPMP_NETWORK_FAILURE;
			p->s.refused[rc]++;
			m.lifetime = 0;
		}
		m.ext_port = rc ? 0 : ntohs(g.ext_port);
	}
	m.epoch = pcp_epoch(p);
	n = natpmp_encode_response(&m, out, sizeof(out));
	if (n)
		pcp_send(p, out, n, from, pi);
}

/* ---- the socket, the loop ---- */

void cgnatd_pcp_input(struct cgnatd *d)
{
	struct pcp *p = d->pcp;
	__u8 buf[PCP_MAX_LEN + 4];
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	int budget;

	for (budget = 0; p && budget < 256; budget++) {
		struct sockaddr_in from;
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr mh = {.msg_name = &from,
				    .msg_namelen = sizeof(from),
				    .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf)};
		const struct in_pktinfo *pi = NULL;
		struct cmsghdr *c;
		ssize_t n = recvmsg(p->fd, &mh, MSG_DONTWAIT);

		if (n < 0)
			return;
		p->s.requests++;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == IPPROTO_IP &&
			    c->cmsg_type == IP_PKTINFO)
				pi = (const void *)CMSG_DATA(c);
		if (from.sin_family != AF_INET ||
		    pcp_limited(p, &d->cfg, from.sin_addr.s_addr,
				pcp_dp_now_s())) {
			p->s.dropped_rate++;
			continue;
		}
		if (n >= 1 && buf[0] == NATPMP_VERSION)
			natpmp_request(d, buf, n, &from, pi);
		else
			pcp_request(d, buf, n, &from, pi);
	}
}

/* The unsolicited ANNOUNCE (14.1.3): all hosts, port 5350. */
static void pcp_announce(struct cgnatd *d)
{
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(PCP_CLIENT_PORT),
				 .sin_addr.s_addr = htonl(0xe0000001)};
	struct pcp_msg m = {.version = PCP_VERSION, .opcode = PCP_OP_ANNOUNCE};
	__u8 out[PCP_HDR_LEN];

	m.epoch = pcp_epoch(d->pcp);
	if (pcp_encode_response(&m, out, sizeof(out)))
		pcp_send(d->pcp, out, sizeof(out), &to, NULL);
	d->pcp->s.announces++;
}

void cgnatd_pcp_tick(struct cgnatd *d)
{
	struct pcp *p = d->pcp;
	__u32 now = pcp_dp_now_s();
	unsigned int i = 0;

	if (!p || now < p->next_tick_s)
		return;
	p->next_tick_s = now + 1;
	if (p->announce_left) {
		p->announce_left--;
		pcp_announce(d);
	}
	while (i < p->t.n) {
		if (p->t.e[i].until_s > now) {
			i++;
			continue;
		}
		pcp_tab_remove(&p->t, i); /* the sweep takes it once unused */
		p->s.expired++;
	}
	if (now >= p->next_sync_s) {
		p->next_sync_s = now + PCP_RESYNC_S;
		pcp_resync(d);
	}
}

int cgnatd_pcp_fd(const struct cgnatd *d)
{
	return d->pcp ? d->pcp->fd : -1;
}

static int pcp_socket(const char *ifname, __be32 mcast_if)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(PCP_SERVER_PORT)};
	struct in_addr mi = {.s_addr = mcast_if};
	int fd, one = 1, ttl = 1, err;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
		       strlen(ifname)) ||
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) ||
	    (mcast_if &&
	     setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mi, sizeof(mi))) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

void cgnatd_pcp_start(struct cgnatd *d)
{
	struct pcp *p;
	int fd;

	if (!d->cfg.pcp.enabled)
		return;
	fd = pcp_socket(d->cfg.interfaces.inside, d->icmp_src);
	if (fd < 0) {
		log_warnx("pcp: no server on %s port %d: %s",
			  d->cfg.interfaces.inside, PCP_SERVER_PORT,
			  strerror(-fd));
		return;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		close(fd);
		log_warnx("pcp: out of memory");
		return;
	}
	p->fd = fd;
	p->start_s = pcp_dp_now_s(); /* a new epoch at every start (8.5) */
	p->announce_left = 3;
	d->pcp = p;
	pcp_resync(d);
	log_info("pcp: serving PCP and NAT-PMP on %s port %d, %u mappings "
		 "held",
		 d->cfg.interfaces.inside, PCP_SERVER_PORT, p->t.n);
}

void cgnatd_pcp_stop(struct cgnatd *d)
{
	if (!d->pcp)
		return;
	close(d->pcp->fd);
	pcp_tab_free(&d->pcp->t);
	free(d->pcp);
	d->pcp = NULL;
}

void cgnatd_pcp_list(struct cgnatd *d, FILE *f)
{
	const struct pcp *p = d->pcp;
	__u32 now = pcp_dp_now_s();
	char in[INET_ADDRSTRLEN], ex[INET_ADDRSTRLEN];
	unsigned int i;

	if (!p) {
		fputs("pcp disabled\n", f);
		return;
	}
	fprintf(f, "pcp_epoch %u\npcp_mappings %u\n", pcp_epoch(p), p->t.n);
	fprintf(f,
		"pcp_requests %llu\npcp_natpmp %llu\npcp_answered %llu\n"
		"pcp_dropped_rate %llu\npcp_dropped_bad %llu\n"
		"pcp_granted %llu\npcp_refreshed %llu\npcp_deleted %llu\n"
		"pcp_expired %llu\npcp_blocks %llu\npcp_announces %llu\n"
		"pcp_send_errors %llu\n",
		(unsigned long long)p->s.requests,
		(unsigned long long)p->s.natpmp,
		(unsigned long long)p->s.answered,
		(unsigned long long)p->s.dropped_rate,
		(unsigned long long)p->s.dropped_bad,
		(unsigned long long)p->s.granted,
		(unsigned long long)p->s.refreshed,
		(unsigned long long)p->s.deleted,
		(unsigned long long)p->s.expired,
		(unsigned long long)p->s.blocks,
		(unsigned long long)p->s.announces,
		(unsigned long long)p->s.send_errors);
	for (i = 1; i < PCP_RESULTS; i++)
		fprintf(f, "pcp_refused_%s %llu\n", pcp_result_names[i],
			(unsigned long long)p->s.refused[i]);
	for (i = 0; i < p->t.n && i < PCP_LIST_MAX; i++) {
		const struct pcp_entry *e = &p->t.e[i];

		inet_ntop(AF_INET, &e->sub, in, sizeof(in));
		inet_ntop(AF_INET, &e->ext_addr, ex, sizeof(ex));
		fprintf(f, "map %s %s:%u %s:%u %u %s\n",
			e->proto == IPPROTO_TCP ? "tcp" : "udp", in,
			ntohs(e->int_port), ex, ntohs(e->ext_port),
			e->until_s > now ? e->until_s - now : 0,
			e->natpmp    ? "natpmp"
			: e->inbound ? "map"
				     : "peer");
	}
	if (p->t.n > PCP_LIST_MAX)
		fprintf(f, "more %u\n", p->t.n - PCP_LIST_MAX);
}
