/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RFC 8158 IPFIX export of NAT events (port block allocation 16/17,
 * exhaustion 3/12, quota 13, threshold 18, optional NAT44 sessions 4/5) to
 * several collectors at once over UDP or TCP, or to a file. The caller only
 * ever enqueues: ipfix_submit() copies the event into a bounded,
 * lock-protected ring and returns at once. One exporter thread per exporter
 * owns every libfixbuf object, encodes each event once and hands the
 * resulting messages to a bounded queue per collector, so a collector that
 * is down or slow can never block the caller nor the other collectors.
 * This header pulls in neither libfixbuf nor glib.
 */
#ifndef CGNAT_IPFIX_H
#define CGNAT_IPFIX_H

#include <stdint.h>

#define IPFIX_MAX_COLLECTORS	8
#define IPFIX_HOST_LEN		256

/* natEvent values (IANA "NAT Event Type"). 1 and 2 are Historic: never sent. */
enum {
	IPFIX_EV_ADDR_EXHAUSTED	= 3,
	IPFIX_EV_SESSION_CREATE	= 4,	/* only with session_events */
	IPFIX_EV_SESSION_DELETE	= 5,	/* only with session_events */
	IPFIX_EV_PORTS_EXHAUSTED = 12,
	IPFIX_EV_QUOTA		= 13,
	IPFIX_EV_PBA		= 16,	/* port block allocation, interim */
	IPFIX_EV_PBA_RELEASE	= 17,	/* port block de-allocation */
	IPFIX_EV_THRESHOLD	= 18,
};

/* natQuotaExceededEvent (IE 466) values. */
enum {
	IPFIX_QUOTA_SESSIONS	= 1,	/* limit is maxSessionEntries */
	IPFIX_QUOTA_BIB		= 2,	/* maxBIBEntries */
	IPFIX_QUOTA_PER_USER	= 3,	/* maxEntriesPerUser, with sub_addr */
	IPFIX_QUOTA_SUBSCRIBERS	= 4,	/* maxSubscribers */
	IPFIX_QUOTA_FRAGMENTS	= 5,	/* maxFragmentsPendingReassembly */
};

/* natThresholdEvent (IE 467) values. */
enum {
	IPFIX_THRESH_POOL_HIGH	= 1,	/* addressPoolHighThreshold, pool_id */
	IPFIX_THRESH_POOL_LOW	= 2,	/* addressPoolLowThreshold, pool_id */
	IPFIX_THRESH_APM_HIGH	= 3,	/* addressPortMappingHighThreshold */
	IPFIX_THRESH_USER_HIGH	= 4,	/* ...PerUserHighThreshold, sub_addr */
	IPFIX_THRESH_GLOBAL_HIGH = 5,	/* globalAddressMappingHighThreshold */
};

enum ipfix_transport {
	IPFIX_UDP = 1,
	IPFIX_TCP,
	IPFIX_FILE,	/* host is a file path; for tests and offline use */
	/* Not built into Debian's libfixbuf: rejected with -EPROTONOSUPPORT. */
	IPFIX_SCTP,
	IPFIX_TLS_TCP,
	IPFIX_DTLS_UDP,
};

struct ipfix_collector {
	char host[IPFIX_HOST_LEN];	/* IPv4/IPv6 literal or name; path */
	uint16_t port;			/* unused for IPFIX_FILE */
	int transport;			/* enum ipfix_transport */
};

struct ipfix_config {
	uint32_t observation_domain;	/* IPFIX header Observation Domain ID */
	uint32_t instance;		/* natInstanceID (IE 463) */
	int with_instance_id;		/* put natInstanceID in every record */
	int with_pool_id;		/* put natPoolId (IE 283) in 16/17 */
	int session_events;		/* accept NAT44 session create/delete */
	uint64_t template_refresh_ms;	/* UDP template resend period, > 0 */
	uint64_t flush_ms;		/* max age of a partly filled message */
	uint32_t ratelimit_ms;		/* gap per subject of 3/12/13; 0 off */
	uint32_t ring_size;		/* events between submit and thread */
	uint32_t queue_msgs;		/* messages queued per collector */
	uint32_t reconnect_min_ms;	/* TCP backoff: first retry delay */
	uint32_t reconnect_max_ms;	/* TCP backoff: cap of the doubling */
	uint32_t linger_ms;		/* ipfix_destroy(): time to drain */
	unsigned int ncollectors;
	struct ipfix_collector collectors[IPFIX_MAX_COLLECTORS];
};

/*
 * One NAT event. Addresses are IPv4 in host byte order; time_ms is the UTC
 * moment the event happened (ms since the epoch), not the moment it is
 * submitted. Which fields a record carries:
 *   16/17  sub_addr, ext_addr, port_first, port_last (inclusive), pool_id
 *          when with_pool_id. An interim record is a 16 re-sent for a block
 *          that is still held.
 *   4/5    sub_addr, ext_addr, proto, sub_port, ext_port, rem_addr,
 *          rem_port (the destination, unchanged by NAT44)
 *   3      pool_id
 *   12     ext_addr, proto
 *   13     quota_event, value (the limit), sub_addr for PER_USER/FRAGMENTS
 *   18     threshold_event, value (the threshold), pool_id for POOL_*,
 *          sub_addr for USER_HIGH
 * Unused fields are ignored.
 */
struct ipfix_event {
	uint64_t time_ms;
	uint32_t sub_addr;
	uint32_t ext_addr;
	uint32_t pool_id;
	uint32_t value;
	uint16_t port_first;
	uint16_t port_last;
	uint16_t sub_port;
	uint16_t ext_port;
	uint8_t nat_event;
	uint8_t proto;
	uint8_t quota_event;
	uint8_t threshold_event;
	uint32_t rem_addr;		/* 4/5: destination */
	uint16_t rem_port;
};

struct ipfix_collector_stats {
	uint64_t records_sent;		/* written to the socket or file */
	uint64_t records_dropped;	/* queue full, refused or write error */
	uint64_t msgs_sent;		/* data and template messages */
	uint64_t bytes_sent;
	uint64_t template_msgs;		/* template messages among msgs_sent */
	uint64_t reconnects;		/* connections made after the first */
	uint64_t connect_failures;
	uint64_t msgs_refused;		/* UDP: sent, then reported by ICMP
					 * as not delivered (best effort) */
	uint32_t queued_msgs;		/* waiting now */
	int connected;			/* 1 when the last connect succeeded */
};

struct ipfix_stats {
	uint64_t submitted;	/* accepted into the ring */
	uint64_t ring_full;	/* refused by ipfix_submit(): ring full */
	uint64_t rate_limited;	/* suppressed exhaustion/quota events */
	uint64_t encoded;	/* records encoded into messages */
	uint64_t msgs;		/* data messages built */
	unsigned int ncollectors;
	struct ipfix_collector_stats coll[IPFIX_MAX_COLLECTORS];
};

struct ipfix_exporter;

/*
 * Defaults: template_refresh 60 s, flush 100 ms, rate limit 1000 ms,
 * ring 65536 events, 1024 messages per collector, backoff 250 ms..30 s,
 * linger 2 s, natInstanceID on, natPoolId and session events off, no
 * collectors.
 */
void ipfix_config_init(struct ipfix_config *cfg);

/* "udp", "tcp", "file", "sctp", "tls", "dtls" -> enum, or -EINVAL. */
int ipfix_transport_parse(const char *name);
const char *ipfix_transport_name(int transport);

/*
 * Validate cfg, resolve the collector names (may block in getaddrinfo),
 * build the information model and templates. The thread is not started.
 * Returns 0, -EINVAL (bad config, names the field on the log),
 * -EPROTONOSUPPORT (SCTP, TLS or DTLS asked for: libfixbuf here would
 * abort the process), -ENOENT (name does not resolve) or -ENOMEM.
 */
int ipfix_create(const struct ipfix_config *cfg, struct ipfix_exporter **out);

/*
 * Fix the export time (seconds) written in every message header from now
 * on; 0 returns to the wall clock. Call before ipfix_start() for output
 * that is byte-identical from run to run.
 */
void ipfix_set_export_time(struct ipfix_exporter *exp, uint32_t secs);

/* Start the exporter thread. Returns 0 or -errno. */
int ipfix_start(struct ipfix_exporter *exp);

/*
 * Enqueue one event; never blocks on I/O (only on the ring's mutex), may
 * be called from any thread, before or after ipfix_start(). Returns 0 when
 * queued or deliberately suppressed by the rate limiter (counted in
 * rate_limited), -EINVAL for a malformed event, -EOPNOTSUPP for a session
 * event without session_events, -ENOBUFS when the ring is full (counted in
 * ring_full).
 */
int ipfix_submit(struct ipfix_exporter *exp, const struct ipfix_event *ev);

/*
 * Wait until every event submitted before the call has been encoded and
 * written to every collector (or dropped). Returns 0, or -ETIMEDOUT when a
 * collector still holds queued messages after timeout_ms (e.g. TCP down),
 * or -EINVAL if the thread is not running.
 */
int ipfix_flush(struct ipfix_exporter *exp, unsigned int timeout_ms);

/* Snapshot of the counters; safe from any thread. */
void ipfix_stats(struct ipfix_exporter *exp, struct ipfix_stats *st);

/*
 * Stop the thread after it has encoded what is in the ring and tried for up
 * to linger_ms to deliver what is queued; close everything, free exp.
 */
void ipfix_destroy(struct ipfix_exporter *exp);

/*
 * Route the module's few log lines (level is a syslog LOG_* value) to the
 * daemon's logger; NULL restores the default, stderr.
 */
void ipfix_set_logger(void (*fn)(int level, const char *msg));

#endif /* CGNAT_IPFIX_H */
