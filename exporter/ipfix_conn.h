/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One collector as seen by the exporter thread: its socket (UDP or TCP,
 * always non-blocking) or file, its bounded queue of encoded messages, its
 * connection state with exponential reconnect backoff, and its counters.
 * After every (re)connect the collector takes a template message before
 * anything else from its queue. Owned and driven by one thread; only the
 * counters in st are read from elsewhere (atomic loads).
 */
#ifndef CGNAT_IPFIX_CONN_H
#define CGNAT_IPFIX_CONN_H

#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>

#include "exporter/ipfix_internal.h"

enum ipfix_conn_state {
	IPFIX_CONN_DOWN,
	IPFIX_CONN_CONNECTING,
	IPFIX_CONN_UP,
};

struct ipfix_conn {
	struct ipfix_collector cfg;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int fd;
	int state;		/* enum ipfix_conn_state */
	int want_tmpl;		/* came up, has no template message yet */
	int blocked;		/* socket full: wait for POLLOUT */
	int ever_up;
	int failing;		/* a failure was logged; quiet until up */
	struct ipfix_msg *tmpl;	/* goes out before the queue */
	uint32_t off;		/* bytes of the current message written */
	uint64_t next_try_ms;	/* DOWN: when to connect again */
	uint64_t deadline_ms;	/* CONNECTING: give up at */
	uint64_t warned_ms;	/* last drop warning */
	uint32_t backoff_ms;
	uint32_t backoff_min_ms;
	uint32_t backoff_max_ms;
	struct ipfix_mq q;
	struct ipfix_collector_stats st;
};

/* Writer-side counter update; readers use __atomic_load_n. */
#define IPFIX_STAT_ADD(field, n) \
	__atomic_store_n(&(field), (field) + (n), __ATOMIC_RELAXED)

/*
 * Check the transport and resolve the address (getaddrinfo, may block).
 * Returns 0, -EPROTONOSUPPORT (SCTP/TLS/DTLS), -EINVAL, -ENOENT, -ENOMEM.
 */
int ipfix_conn_init(struct ipfix_conn *c, const struct ipfix_collector *cc,
		    const struct ipfix_config *cfg);
void ipfix_conn_fini(struct ipfix_conn *c);

/* Queue a message (takes a reference) or count its records as dropped. */
void ipfix_conn_enqueue(struct ipfix_conn *c, struct ipfix_msg *m);

/*
 * Hand the template message to a collector that wants one. When data is
 * already queued, a copy carrying the sequence number of the first queued
 * message is used, so the stream the collector sees stays in sequence.
 */
void ipfix_conn_set_tmpl(struct ipfix_conn *c, struct ipfix_msg *m);

/* Connect when due, then write what the socket takes without blocking. */
void ipfix_conn_service(struct ipfix_conn *c, uint64_t now);

/* Poll set-up and result; returns 0 when the fd needs no polling. */
short ipfix_conn_poll_events(const struct ipfix_conn *c);
void ipfix_conn_on_poll(struct ipfix_conn *c, short revents, uint64_t now);

/* When service is next needed (0: now, backlog), or UINT64_MAX. */
uint64_t ipfix_conn_deadline(const struct ipfix_conn *c);

/* Nothing left to write (templates pending on a new connection aside). */
int ipfix_conn_idle(const struct ipfix_conn *c);

#endif /* CGNAT_IPFIX_CONN_H */
