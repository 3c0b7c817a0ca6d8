/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exporter object, shared by ipfix.c (the API callers use) and
 * ipfix_thread.c (the thread that owns the encoder and the collectors).
 * The block under lock is the only state both sides touch.
 */
#ifndef CGNAT_IPFIX_EXPORTER_H
#define CGNAT_IPFIX_EXPORTER_H

#include <pthread.h>

#include "exporter/ipfix.h"
#include "exporter/ipfix_conn.h"
#include "exporter/ipfix_enc.h"
#include "exporter/ipfix_internal.h"

#define IPFIX_BATCH	256

struct ipfix_exporter {
	struct ipfix_config cfg;
	struct ipfix_model_opts opts;
	int efd;			/* wakes the thread */
	pthread_t thread;
	int running;

	pthread_mutex_t lock;		/* guards this block */
	pthread_cond_t flushed;
	struct ipfix_ring ring;
	struct ipfix_rl rl;
	uint64_t submitted, ring_full, rate_limited;
	uint64_t flush_req, flush_done;
	uint32_t export_time;
	int stop;
	int idle;			/* thread is going to sleep */

	/* Owned by the thread (or by the caller before ipfix_start()). */
	struct ipfix_enc *enc;
	struct ipfix_msg *tmpl_msg;	/* set while templates are encoded */
	uint64_t pending_since;
	uint64_t next_refresh;
	uint64_t linger_until;
	uint64_t flush_seen;
	uint32_t export_time_seen;
	int stop_seen;
	uint64_t encoded, msgs;		/* atomic loads elsewhere */
	unsigned int nconn;
	struct ipfix_conn conn[IPFIX_MAX_COLLECTORS];
	struct ipfix_event batch[IPFIX_BATCH];
};

/* What the thread took from the shared block in one go. */
struct ipfix_take {
	unsigned int n;
	int ring_empty;
	int stop;
	uint64_t flush_req;
	uint32_t export_time;
};

/* ipfix.c: wake the thread out of poll(). */
void ipfix_wake(struct ipfix_exporter *exp);

/* ipfix_thread.c: the thread's body; arg is the exporter. */
void *ipfix_thread_main(void *arg);

#endif /* CGNAT_IPFIX_EXPORTER_H */
