/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the exporter's own files only: logging, the clock, the event
 * ring between ipfix_submit() and the thread, the per-subject rate limiter
 * and the per-collector message queue. The ring, the limiter and the queue
 * are plain data structures without locks or I/O; ipfix.c holds the lock.
 */
#ifndef CGNAT_IPFIX_INTERNAL_H
#define CGNAT_IPFIX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "exporter/ipfix.h"

/* --- ipfix.c ------------------------------------------------------------ */

void ipfix_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* CLOCK_MONOTONIC in ms: timers only, never written to a record. */
uint64_t ipfix_now_ms(void);

/* --- ipfix_queue.c: event ring ------------------------------------------- */

struct ipfix_ring {
	struct ipfix_event *ev;
	uint32_t mask;		/* size - 1, size a power of two */
	uint32_t head;		/* next to pop */
	uint32_t tail;		/* next to push */
};

/* size is rounded up to a power of two (>= 2). Returns 0 or -ENOMEM. */
int ipfix_ring_init(struct ipfix_ring *r, uint32_t size);
void ipfix_ring_free(struct ipfix_ring *r);
/* Returns 0, or -ENOBUFS when full. */
int ipfix_ring_push(struct ipfix_ring *r, const struct ipfix_event *ev);
/* Move up to max events into out; returns how many. */
unsigned int ipfix_ring_pop(struct ipfix_ring *r, struct ipfix_event *out,
			    unsigned int max);
uint32_t ipfix_ring_count(const struct ipfix_ring *r);

/* --- ipfix_queue.c: rate limiter --------------------------------------- */

#define IPFIX_RL_WAYS	4
#define IPFIX_RL_SLOTS	1024	/* subjects remembered, a power of two */

struct ipfix_rl_slot {
	uint64_t key;		/* 0 = empty */
	uint64_t last_ms;	/* event time of the last one let through */
};

struct ipfix_rl {
	uint32_t interval_ms;	/* 0 = let everything through */
	struct ipfix_rl_slot slot[IPFIX_RL_SLOTS];
};

/*
 * Whether ev may go out. Only natEvent 3 (per pool), 12 (per external
 * address and protocol) and 13 (per quota type, and per subscriber for
 * the per-user kinds) are limited, on the events' own time_ms: at most
 * one per subject per interval. A time that steps back by more than the
 * interval lets the event through. Returns 1 to send, 0 to suppress.
 */
int ipfix_rl_allow(struct ipfix_rl *rl, const struct ipfix_event *ev);

/* --- ipfix_queue.c: message queue ----------------------------------------- */

/* An encoded IPFIX message shared by the collectors that queue it. */
struct ipfix_msg {
	uint32_t refs;
	uint32_t nrec;		/* data records; 0 for templates */
	uint32_t len;
	uint8_t data[];
};

struct ipfix_msg *ipfix_msg_new(const uint8_t *data, size_t len,
				unsigned int nrec);
void ipfix_msg_put(struct ipfix_msg *m);	/* drop one reference */
/* Sequence number field of the message header (host order). */
uint32_t ipfix_msg_seq(const struct ipfix_msg *m);

struct ipfix_mq {
	struct ipfix_msg **slot;
	uint32_t cap;		/* data messages allowed */
	uint32_t size;		/* cap + room for template messages */
	uint32_t head;
	uint32_t count;
};

#define IPFIX_MQ_TMPL_ROOM	4

int ipfix_mq_init(struct ipfix_mq *q, uint32_t cap);
/* Drops every queued message and frees the slots. */
void ipfix_mq_free(struct ipfix_mq *q);
/*
 * Queue m, taking a reference. Data messages are refused (-ENOBUFS) once
 * cap are queued; template messages (nrec 0) may use the extra room.
 */
int ipfix_mq_push(struct ipfix_mq *q, struct ipfix_msg *m);
struct ipfix_msg *ipfix_mq_peek(const struct ipfix_mq *q);
/* Remove the head and return it; the caller owns that reference. */
struct ipfix_msg *ipfix_mq_pop(struct ipfix_mq *q);

#endif /* CGNAT_IPFIX_INTERNAL_H */
