/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgnatd.h - the daemon's internal header, prototypes grouped by file.
 *
 * Ownership: one thread (main) owns the data plane runner (dprun: loader,
 * allocator, ring buffer), the SQLite store and the configuration; the
 * exporter owns its own thread and every libfixbuf object behind
 * ipfix_submit(). Nothing else is shared.
 */
#ifndef CGNAT_DAEMON_CGNATD_H
#define CGNAT_DAEMON_CGNATD_H

#include <stdint.h>
#include <stdio.h>

#include "config/cfg.h"
#include "daemon/dpconf.h"
#include "daemon/dprun.h"
#include "daemon/ha.h"
#include "central/ship.h"
#include "exporter/ipfix.h"
#include "logger/store.h"

#define CGNATD_DEFAULT_CONFIG "/etc/cgnat/cgnat.yaml"
#define CGNATD_DEFAULT_RUN_DIR "/run/cgnat"

/* --- evlog.c: events -> SQLite (batched) and IPFIX (after commit) ----- */

struct evlog_rel { /* a release written, awaiting its re-offer */
	__u32 block;
	__u8 committed;
};

struct evlog_stats {
	__u64 assigned, released, interims, events, duplicates, replaced;
	__u64 commits, write_errors, ipfix_refused;
	__u64 sess_created, sess_deleted;
	__u64 sess_unseen; /* deletes whose create never came */
	__u64 sess_reconciled; /* open rows closed without their delete */
	/* Not rolled back with a failed batch: */
	__u64 late; /* events committed after a failed commit kept them */
	__u64 holds; /* times the backlog stopped new grants */
	__u64 lost; /* events dropped: the backlog was at its hard cap */
	__u64 refused; /* events the store refused as invalid (skipped) */
	__u64 from_table; /* holdings written from the block table */
};

/* An event kept until the batch holding it has committed. */
struct evlog_jent {
	uint64_t ms;
	struct cgnat_event e; /* or a struct cgnat_sess_event, same size */
};

#define EVLOG_BACKLOG_HOLD 65536 /* log.max_backlog 0 (a test's cfg) */
#define EVLOG_BACKLOG_CAP 262144 /* never keep more (about 12 MiB) */
#define EVLOG_RETRY_MS 1000 /* a failed commit is retried this often */

struct evlog {
	struct store *st;
	struct ipfix_exporter *ipfix; /* NULL: no export */
	const struct cgnat_config *cfg; /* running configuration */
	struct dprun *run;
	const struct dpconf *dc; /* addresses, pools, geometry */
	int batch; /* a transaction is open */
	int failed; /* a write failed in this batch */
	int need_reconcile; /* set after a failed batch */
	int no_ipfix; /* HA standby: the active exports, not this box */
	int64_t gone_ms; /* HA: rows only this box knew end here, not now */
	unsigned int n_pend, cap_pend;
	struct ipfix_event *pend; /* sent once the batch commits */
	unsigned int n_rel;
	struct evlog_rel rel[1024];
	/* The journal: every event of the open batch and of batches that
	 * failed to commit, in arrival order. A failed batch is rolled back
	 * and the journal replayed into the next one, so nothing is lost
	 * or acknowledged before it commits. */
	struct evlog_jent *jrn;
	unsigned int n_jrn, cap_jrn, n_done; /* n_done: written this batch */
	int64_t retry_ms; /* no new batch before this (after a failure) */
	int64_t failing_ms; /* first failed commit of this outage, or 0 */
	int holding; /* new grants held (dprun.hold_grants) */
	int start_pending; /* the start's reconciliation has not run */
	struct evlog_stats s, s_begin; /* s_begin: s when the batch began */
};

/* The dprun callback: ctx is a struct evlog. */
int evlog_event(void *ctx, const struct cgnat_event *e, __u64 utc_ms);
/* Counts a failed write, logs the first of a batch; returns -EIO. */
int evlog_write_failed(struct evlog *ev, const char *what);
/* Events other than blocks: quota, exhaustion, table full, thresholds
 * (evlog_misc.c). */
void evlog_other(struct evlog *ev, const struct cgnat_event *e, uint64_t ms);
/* Ends the poll round: commit (or roll back) and submit the IPFIX. */
int evlog_flush(struct evlog *ev);
/* Opens the round's batch if none is open; -errno from the store. */
int evlog_begin(struct evlog *ev);
/* Queue an IPFIX record for after the commit. */
void evlog_ipfix_queue(struct evlog *ev, const struct ipfix_event *ie);
/* The same for a port block (natEvent 16 or 17) at time ms. */
void evlog_ipfix_block(struct evlog *ev, __u8 nat_event, uint64_t ms,
		       const struct store_block *b);
/* A row for block id's last holding from the block table, released at
 * released_ms, when the log has none: 1 written, 0 not needed, -EIO. */
int evlog_table_holding(struct evlog *ev, __u32 id, uint32_t sub,
			int64_t released_ms, int reason);
/* Events kept for a retry (0 once the log commits again). */
unsigned int evlog_backlog(const struct evlog *ev);
/* 1 while block id has a release written but not yet acknowledged. */
int evlog_release_pending(const struct evlog *ev, __u32 block);
void evlog_free(struct evlog *ev);

/* --- evlog_sess.c: session create/delete (log.session_events) ------- */

/* e is a struct cgnat_sess_event (EVT_SESS_CREATE or _DELETE). */
int evlog_sess(struct evlog *ev, const struct cgnat_event *e, uint64_t ms);
/*
 * Open session rows against the facts, in the caller's batch: all closed
 * at fresh_ms (new maps) or at now_ms when the key is off; otherwise each
 * whose session the pinned table no longer has is closed at now_ms.
 */
int evlog_sess_reconcile(struct evlog *ev, int64_t fresh_ms, int64_t now_ms);

/* --- reconcile.c: pinned block table against the open rows ------------ */

struct reconcile_stats {
	unsigned int held, open, added, replaced, closed_map, closed_now;
	unsigned int from_table; /* RC_TABLE: released holdings written */
};

/*
 * Make the log agree with the pinned block table: a held block without
 * an open row gets one, an open row without a held block is closed (at
 * the map's release time if it has one, else now). fresh_ms != 0 says
 * the maps were created by this start (reboot, detach): every open row is
 * then closed at fresh_ms (taken before the maps existed) as a shutdown.
 * Flushes the round's batch, then runs in a batch of its own.
 */
#define RC_ANNOUNCE 0x1 /* every held block to IPFIX again (start, takeover) */
#define RC_QUIET 0x2 /* a summary row only when something changed */
#define RC_TABLE 0x4 /* also free blocks whose last holding has no row */
int reconcile(struct evlog *ev, int64_t fresh_ms, const char *why, int flags,
	      struct reconcile_stats *rs);

/* Block id -> external address (host order), port range and pool. */
void block_geometry(const struct dpconf *dc, __u32 id, uint32_t *ext,
		    uint16_t *first, uint16_t *last, __u32 *pool);

/* --- runtime.c: pid file, stats file, systemd notification ------------ */

int runtime_pidfile(const char *dir);
void runtime_remove(const char *dir);
/* Writes the daemon's own counters for cgnatctl metrics/status. */
void runtime_stats(const char *dir, const struct evlog *ev,
		   struct ipfix_exporter *ipfix, int64_t started_ms,
		   int64_t reload_ms, __u64 reconciles, struct ship *ship);
void runtime_notify(const char *state);
int64_t runtime_now_ms(void);

/* --- cgnatd.c: the daemon ------------------------------------------- */

struct cgnatd_args {
	const char *config;
	const char *pin_dir;
	const char *run_dir;
	int foreground, check, detach, allow_unsafe, verbose;
};

struct cgnatd {
	struct cgnatd_args a;
	struct cgnat_config cfg; /* running configuration */
	struct dpconf dc;
	__be32 icmp_src;
	struct dprun run;
	struct store *st;
	struct ipfix_exporter *ipfix;
	struct evlog ev;
	__u64 evt_lost; /* STAT_EVT_LOST last seen */
	__u64 reconciles;
	int64_t started_ms, reload_ms;
	int64_t next_check_ms, next_prune_ms, next_cfglog_ms, next_stats_ms;
	const char *cfglog_retry; /* why of a config record not written */
	struct ship *ship; /* log.central; NULL when off */
	int64_t ship_deleted; /* ship queue deleted up to this seq */
	struct ha *ha; /* ha section; NULL when off */
	int ctl_fd; /* control socket, -1 if none */
	struct pcp *pcp; /* pcp.enabled: the server (pcp.h); else NULL */
	int64_t poll_ms; /* when the last loop round that read every event
			  * ring to its end began (dprun.ev_drained) */
};

/* --- ha.c: the active/standby pair (ha.h) ----------------------------- */

/* Reads the role (ha.role in the run dir; standby without one) before
 * the data plane starts; cgnatd_ha_start() applies it after. */
void cgnatd_ha_init(struct cgnatd *d);
/* Every deterministic range to IPFIX (start, HA takeover; start.c). */
void cgnatd_det_announce(struct cgnatd *d);
void cgnatd_ha_start(struct cgnatd *d);
/* Takeover (to active) or giving up the role; msg is the reply. */
int cgnatd_ha_set_role(struct cgnatd *d, enum ha_role role, const char *why,
		       char *msg, size_t len);
/* 1 when this box may be elected active (keepalived's track script). */
int cgnatd_ha_ready(struct cgnatd *d, char *msg, size_t len);
/* Starts a planned handover; 1: fd gets its reply once drained. */
int cgnatd_ha_handover(struct cgnatd *d, int fd, char *msg, size_t len);
/* A ring-buffer event: the active syncs it at once. */
void cgnatd_ha_event(struct cgnatd *d, const struct cgnat_event *e);
void cgnatd_ha_tick(struct cgnatd *d);
/* The fds to poll (at most 2) into p; their count. */
struct pollfd;
int cgnatd_ha_fds(struct cgnatd *d, struct pollfd *p);
/* "key value" lines for cgnatctl status and metrics. */
void cgnatd_ha_status(struct cgnatd *d, FILE *f);
void cgnatd_ha_stop(struct cgnatd *d);

/* --- ctlsock.c: RUN_DIR/cgnatd.sock ----------------------------------- */

int ctlsock_open(const char *run_dir);
/* Writes text and a newline to fd, closes it. */
void ctlsock_reply(int fd, const char *text);
/* The listening socket is readable: one request. */
void cgnatd_ctl_accept(struct cgnatd *d);

/* --- fleet.c: log.central (the shipper thread, acks, retention) ------ */

/* With log.central: queue rows for PostgreSQL and start the shipper. */
void cgnatd_fleet_start(struct cgnatd *d);
/* Delete the queued rows PostgreSQL acknowledged (a bounded batch). */
void cgnatd_fleet_tick(struct cgnatd *d);
/* The retention cut-off held back to the oldest row still queued. */
int64_t cgnatd_fleet_prune_cutoff(struct cgnatd *d, int64_t cutoff);
void cgnatd_fleet_stop(struct cgnatd *d);

/* --- start.c: bring-up, detach --------------------------------------- */

/* Loads and attaches the data plane, opens the log, reconciles, starts
 * the exporter; fatal on failure (the message names what failed). */
void cgnatd_start(struct cgnatd *d);
/* Says once when held fragments are no longer run with live frames: at
 * start (refused, or asked for) or later, when a run failed. */
void cgnatd_warn_frag(struct cgnatd *d);
/* Removes links and pins (traffic stops); with a configuration also
 * closes the open log rows. Returns the exit status. */
int cgnatd_detach(struct cgnatd *d);

/* --- reload.c: configuration changes, config_log, exporter ------------ */

/* Warns when nat.unsolicited_syn: icmp cannot send anything. */
void cgnatd_warn_syn(const struct cgnatd *d);
/* Pushes the tunables of d->cfg into the data plane's config map. */
int cgnatd_apply_tunables(struct cgnatd *d);
/* Creates and starts the exporter for d->cfg (none without collectors). */
int cgnatd_ipfix_start(struct cgnatd *d);
/* Appends the running configuration to config_log (RFC 7422 section 3). */
int cgnatd_config_log(struct cgnatd *d, const char *why);
/* start.c: the deterministic layouts' daily repeat, checked hourly. */
void cgnatd_det_tick(struct cgnatd *d, int64_t now_ms);
/* SIGHUP: apply what may change live, name what needs a restart. */
void cgnatd_reload(struct cgnatd *d);

#endif /* CGNAT_DAEMON_CGNATD_H */
