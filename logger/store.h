/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The compliance log store: SQLite access for the port-block log that
 * answers "which subscriber held external IP:port at time T" (RFC 6888
 * section 4, RFC 7422). The daemon writes through one read-write handle in
 * batches; cgnatctl reads through a read-only handle while the daemon
 * writes (WAL). Conventions for every function below:
 *
 *  - IPv4 addresses are uint32_t in host byte order (100.64.0.10 is
 *    0x6440000a); ports are host order.
 *  - Times are int64_t milliseconds since the UNIX epoch, UTC. The caller
 *    passes every time: the store never reads a clock.
 *  - A holding covers the half-open interval [assigned_ms, released_ms):
 *    it is held at its assign instant and free again at its release
 *    instant. An open holding (released_ms == STORE_MS_NONE) is held until
 *    further notice.
 *  - Query windows [from_ms, to_ms] are closed, so a window with
 *    from_ms == to_ms == T answers exactly what store_lookup_at(T) does.
 *  - Functions return 0 (or a count where stated) on success and -errno on
 *    failure; the reason for the last failure is in store_errmsg().
 */
#ifndef CGNAT_LOGGER_STORE_H
#define CGNAT_LOGGER_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* released_ms of a block still held; also "no time" in general. */
#define STORE_MS_NONE ((int64_t)-1)
/* Longest pool name kept in a row (longer names are refused). */
#define STORE_POOL_MAX 63

enum store_release_reason {
	STORE_REL_NONE = 0, /* still held */
	STORE_REL_IDLE = 1, /* no mapping left for idle_release */
	STORE_REL_LIFETIME = 2, /* blocks.lifetime reached */
	STORE_REL_ADMIN = 3, /* operator action or config change */
	STORE_REL_RECONCILE = 4, /* open row without a pinned block at start */
	STORE_REL_SHUTDOWN = 5, /* daemon stopped and the maps went away */
	STORE_REL_LAYOUT = 6, /* a deterministic layout was superseded */
};

enum store_event_type {
	STORE_EVT_ADDR_EXHAUSTED = 1, /* pool has no address (natEvent 3) */
	STORE_EVT_PORTS_EXHAUSTED = 2, /* address has no block (natEvent 12) */
	STORE_EVT_QUOTA = 3, /* per-subscriber limit (natEvent 13) */
	STORE_EVT_THRESHOLD = 4, /* utilisation alarm (natEvent 18) */
	STORE_EVT_RB_OVERRUN = 5, /* ring-buffer records were lost */
	STORE_EVT_RECONCILE = 6, /* start-up reconciliation summary */
	STORE_EVT_INTERIM = 7, /* an interim pass over held blocks */
	STORE_EVT_HA_TAKEOVER = 8, /* value: synced up to (UTC ms) */
	STORE_EVT_HA_ROLE = 9, /* value: 1 standby, 2 active */
	STORE_EVT_LOG_BACKLOG = 10, /* value: events the log wrote late */
};

/* One holding: a row of blocks (closed) or open_blocks (open). */
struct store_block {
	int64_t id; /* row id; ignored by store_block_assign() */
	uint32_t instance; /* natInstanceID */
	uint32_t pool_id; /* natPoolID */
	char pool[STORE_POOL_MAX + 1];
	uint32_t sub_addr; /* subscriber, host order */
	uint32_t ext_addr; /* external address, host order */
	uint16_t port_first; /* inclusive */
	uint16_t port_last; /* inclusive */
	int64_t assigned_ms;
	int64_t released_ms; /* STORE_MS_NONE while held */
	int release_reason; /* enum store_release_reason */
	/* 0: a logged block holding. N: not a row but the range deterministic
	 * layout vN gave sub_addr, in force over [assigned_ms, released_ms);
	 * det_until_ms >= released_ms ends the quarantine after it, up to
	 * which the range may still be the subscriber's. */
	uint32_t det_version;
	int64_t det_until_ms;
};

/* One row of the events table; 0/NULL fields are stored as NULL except
 * time_ms, instance and type. has_* say which optional numbers are set. */
struct store_event {
	int64_t time_ms;
	uint32_t instance;
	int type; /* enum store_event_type */
	uint32_t sub_addr, ext_addr, pool_id;
	int64_t value, limit;
	unsigned int has_sub : 1, has_ext : 1, has_pool : 1, has_value : 1,
		has_limit : 1;
	const char *detail; /* may be NULL */
};

/*
 * Row callbacks. The row is valid only during the call (copy the struct to
 * keep it). Return 0 to go on, a positive value to stop early, or -errno
 * to stop and make the iterating function return that value.
 */
typedef int (*store_block_cb)(const struct store_block *b, void *ctx);

/*
 * Open (creating if needed) the database at @path read-write for the
 * daemon, and bring its schema to the version this build knows, applying
 * forward migrations in one transaction. Refuses a database from a newer
 * build (-EPROTO). On failure *out is NULL and @err (if @len) says why.
 */
int store_open(const char *path, struct store **out, char *err, size_t len);

/*
 * Open an existing database read-only (cgnatctl). Works while the daemon
 * writes: readers see the last committed state. Never migrates; refuses a
 * schema version other than this build's (-EPROTO) and a missing file
 * (-ENOENT).
 */
int store_open_ro(const char *path, struct store **out, char *err, size_t len);

/* Finalize statements and close. A transaction still open is rolled back.
 * NULL is accepted. */
void store_close(struct store *st);

/* The message for the last failure on @st, with its context (never
 * NULL). */
const char *store_errmsg(const struct store *st);

/* Schema version of the open database. */
int store_schema_version(struct store *st);

/*
 * Batching. Writes between store_begin() and store_commit() share one
 * transaction and one fsync; outside a batch each write commits (and
 * fsyncs) on its own. -EBUSY from store_begin() if a batch is open,
 * -EINVAL from store_commit()/store_rollback() if none is.
 *
 * Block events (assign, release, interim, close) write their final rows
 * (schema/005_direct.sql): what store_commit() makes durable is what
 * every query reads. A block write that fails half-way (a release whose
 * closed row went in but whose open row could not be removed) makes
 * store_commit() roll the batch back and fail with -EIO.
 */
int store_begin(struct store *st);
int store_commit(struct store *st);
int store_rollback(struct store *st);

/*
 * Log a block granted to a subscriber. b->id is ignored; the new row id is
 * written to *id when @id is not NULL. b->released_ms must be
 * STORE_MS_NONE. -EEXIST if the same block (ext_addr, port_first) is
 * still open: release it first. -EINVAL for a bad range or time,
 * -ENAMETOOLONG for a pool name over STORE_POOL_MAX.
 */
int store_block_assign(struct store *st, const struct store_block *b,
		       int64_t *id);

/*
 * Close the open holding of block (ext_addr, port_first) at released_ms.
 * -ENOENT if no such block is open, -EINVAL if released_ms is before the
 * assign time. Outside a batch the release is durable (fsynced) when this
 * returns; inside a batch, once store_commit() returns. Only then may the
 * block be granted again.
 */
int store_block_release(struct store *st, uint32_t ext_addr,
			uint16_t port_first, int64_t released_ms, int reason);

/*
 * Record that the open block (ext_addr, port_first) was still held at
 * time_ms (interim record for long holdings). -ENOENT if it is not open,
 * -EEXIST if that record exists.
 */
int store_interim(struct store *st, uint32_t ext_addr, uint16_t port_first,
		  int64_t time_ms);

/* Append an event row. -EINVAL for an unknown type or negative time. */
int store_event(struct store *st, const struct store_event *e);

/*
 * HA: the first takeover whose unsynchronised window (synced_ms,
 * takeover_ms] meets [from_ms, to_ms]: holdings the previous active made
 * in it may be missing from this log. 1 found, 0 none, -errno.
 */
int store_ha_window(struct store *st, int64_t from_ms, int64_t to_ms,
		    int64_t *synced_ms, int64_t *takeover_ms);

/* Append the effective configuration @text (RFC 7422 section 3). */
int store_config_log(struct store *st, int64_t now_ms, uint32_t instance,
		     const char *text);

/*
 * Reconciliation: call @cb for every open holding (open_blocks) in
 * (ext_addr, port_first) order. Returns the number of rows passed to @cb
 * or -errno. Do not write to @st from @cb: collect, then act.
 */
int store_open_blocks(struct store *st, store_block_cb cb, void *ctx);

/*
 * Reconciliation: close the open holding of row @id at @released_ms, e.g.
 * a block that the pinned maps no longer hold after a crash, at the last
 * time it was known to be held. -ENOENT if row @id is not open.
 */
int store_close_block_at(struct store *st, int64_t id, int64_t released_ms,
			 int reason);

/*
 * Retention: delete at most @max_rows released blocks (with their interim
 * rows), ended sessions, events and superseded config_log rows older than
 * @older_than_ms. Blocks go when released before the cut-off; open blocks
 * are never deleted, nor, per instance, the newest config_log row at or
 * before the cut-off (the configuration the oldest kept rows ran). Call
 * it repeatedly between write batches until it returns less than
 * @max_rows. Returns the number of rows deleted, or -errno.
 */
int store_prune(struct store *st, int64_t older_than_ms, int max_rows);

/*
 * Lookups. Each calls @cb for every matching holding in assigned_ms order
 * and returns the number of matches or -errno.
 *
 * store_lookup_at: holdings of a block containing ext_addr:port held at
 * at_ms (assigned_ms <= at_ms < released_ms). Normally 0 or 1; more than
 * one means the log is inconsistent, and all are reported.
 *
 * store_lookup_range: holdings of a block containing ext_addr:port held at
 * any instant of [from_ms, to_ms].
 *
 * store_history: holdings of subscriber sub_addr held at any instant of
 * [from_ms, to_ms].
 */
int store_lookup_at(struct store *st, uint32_t ext_addr, uint16_t port,
		    int64_t at_ms, store_block_cb cb, void *ctx);
int store_lookup_range(struct store *st, uint32_t ext_addr, uint16_t port,
		       int64_t from_ms, int64_t to_ms, store_block_cb cb,
		       void *ctx);
int store_history(struct store *st, uint32_t sub_addr, int64_t from_ms,
		  int64_t to_ms, store_block_cb cb, void *ctx);

/* Names for enum values ("idle", "quota-exceeded"); "unknown" otherwise. */
const char *store_reason_name(int reason);
const char *store_event_name(int type);

/* --- store_det.c: deterministic pool layouts (RFC 7422) --------------- */

#define STORE_DET_PREFIXES_LEN 1280	/* 64 prefixes "a.b.c.d/nn " */
#define STORE_DET_RESERVED_LEN 64

enum store_det_kind {
	STORE_DET_CHANGE = 1,	/* the data plane switched to a new version */
	STORE_DET_DAILY = 2,	/* the daily repeat of the version in force */
	STORE_DET_RETIRED = 3,	/* the pool stopped being deterministic */
};

/* One row of det_layouts (schema/008_det_layouts.sql says what each
 * field means). Prefix lists are sorted, space separated. */
struct store_det_layout {
	int64_t id;		/* ignored by store_det_log() */
	int kind;		/* enum store_det_kind */
	int64_t logged_ms;
	uint32_t instance, pool_id;
	char pool[STORE_POOL_MAX + 1];
	uint32_t version;
	int64_t switched_ms;
	int64_t quarantine_ms;
	char inside[STORE_DET_PREFIXES_LEN];
	char outside[STORE_DET_PREFIXES_LEN];
	int exclude_boundary;
	uint32_t pps, port_first, port_last, spa;
	uint32_t overflow_blocks, block_size, algorithm;
	char reserved[STORE_DET_RESERVED_LEN];
};

typedef int (*store_det_cb)(const struct store_det_layout *l, void *ctx);

/* Append a row (writer). 0 or -errno. */
int store_det_log(struct store *st, const struct store_det_layout *l);
/* The version records (kinds 1 and 3, no daily repeats) of every pool,
 * in (instance, pool, switched_ms, version) order. Count or -errno. */
int store_det_versions(struct store *st, store_det_cb cb, void *ctx);
/* Every row (all kinds) with id > after_id, by id, for the fleet log's
 * shipper. Count or -errno. */
int store_det_after(struct store *st, int64_t after_id, store_det_cb cb,
		    void *ctx);
/* The newest version record of pool 'pool' of 'instance' into *out:
 * 0, or -ENOENT when the pool never had one. */
int store_det_latest(struct store *st, uint32_t instance, const char *pool,
		     struct store_det_layout *out);
/* The newest row of any kind of that pool's logged_ms, for the daily
 * repeat: 0, or -ENOENT. */
int store_det_last_logged(struct store *st, uint32_t instance,
			  const char *pool, int64_t *logged_ms);

/* --- store_sess.c: the per-session log (log.session_events) ---------- */

enum store_sess_end {
	STORE_SESS_OPEN = 0, /* still live */
	STORE_SESS_EXPIRED = 1, /* its timer ran out (natEvent 5) */
	STORE_SESS_RECONCILE = 4, /* its delete was never seen: closed at
				   * the first time it was known gone */
	STORE_SESS_SHUTDOWN = 5, /* the maps went away (detach, reboot) */
	STORE_SESS_LOG_OFF = 6, /* logging switched off: not followed on */
};

/* One session: a row of sessions (ended) or open_sessions (live). The
 * key is (ext_addr, ext_port, proto, rem_addr, rem_port): at any
 * instant one live session at most has it. */
struct store_session {
	uint32_t instance;
	uint8_t proto; /* IPPROTO_TCP, _UDP, _ICMP */
	uint8_t flags; /* 1 made inbound, 2 hairpin */
	uint32_t int_addr, ext_addr, rem_addr; /* host order */
	uint16_t int_port, ext_port, rem_port; /* ICMP: identifiers, 0 */
	int64_t start_ms; /* STORE_MS_NONE: its start was never seen */
	int64_t end_ms; /* STORE_MS_NONE while live */
	int end_reason; /* enum store_sess_end */
};

typedef int (*store_session_cb)(const struct store_session *s, void *ctx);

/* A session began at s->start_ms. -EEXIST if its key is open already
 * (a delete was lost): close that one first. */
int store_sess_open(struct store *st, const struct store_session *s);

/*
 * The session with s's key ended at end_ms. Returns 0 when its open row
 * was closed, 1 when there was none and the row was written with an
 * unknown start (int_addr, int_port, flags and instance then come from
 * s), or -errno.
 */
int store_sess_close(struct store *st, const struct store_session *s,
		     int64_t end_ms, int reason);

/* Close every open session at end_ms (or its start, if later). Returns
 * how many, or -errno. */
int store_sess_close_all(struct store *st, int64_t end_ms, int reason);

/* Every open session, for reconciliation (do not write from @cb). */
int store_sess_open_rows(struct store *st, store_session_cb cb, void *ctx);

/* Sessions on ext_addr:port live at some instant of [from_ms, to_ms]
 * ([start, end) meets it), in start order; the count or -errno. */
int store_sess_lookup(struct store *st, uint32_t ext_addr, uint16_t port,
		      int64_t from_ms, int64_t to_ms, store_session_cb cb,
		      void *ctx);
/* The same for the sessions of subscriber int_addr. */
int store_sess_history(struct store *st, uint32_t int_addr, int64_t from_ms,
		       int64_t to_ms, store_session_cb cb, void *ctx);

/* "expired", "reconcile", ...; "unknown" otherwise. */
const char *store_sess_end_name(int reason);

/* --- store_ship.c: the queue the fleet shipper reads (log.central) --- */

enum store_ship_op {
	STORE_SHIP_ASSIGN = 1,
	STORE_SHIP_RELEASE = 2,
	STORE_SHIP_INTERIM = 3,
	STORE_SHIP_CONFIG = 4,
};

/* One row of ship_queue. b is the holding (ops 1-3; for a release
 * complete with its release time and reason), config the text (op 4). */
struct store_ship_row {
	int64_t seq;
	int op; /* enum store_ship_op */
	int64_t time_ms; /* assigned, released, interim or config time */
	struct store_block b;
	const char *config; /* op 4, valid during the callback */
};

typedef int (*store_ship_cb)(const struct store_ship_row *r, void *ctx);

/* Writer: from now on copy every block event and configuration record
 * into ship_queue in the transaction that writes it (off by default). */
void store_ship_enable(struct store *st, int on);

/* Rows with seq > @after in seq order, at most @max; the count or
 * -errno. Read-only handles too. */
int store_ship_read(struct store *st, int64_t after, int max, store_ship_cb cb,
		    void *ctx);

/* Writer: delete at most @max_rows rows with seq <= @upto (PostgreSQL
 * has them). Returns how many. */
int store_ship_ack(struct store *st, int64_t upto, int max_rows);

/* The last seq handed out (0: none ever), and the seq and time of the
 * first row after @after (*first = 0 when there is none). */
int store_ship_last(struct store *st, int64_t *last);
int store_ship_first(struct store *st, int64_t after, int64_t *first,
		     int64_t *time_ms);

/* The oldest event time still queued (STORE_MS_NONE: queue empty):
 * retention keeps everything from there on. */
int store_ship_oldest(struct store *st, int64_t *time_ms);

/* This database's ship epoch (schema/007_ship_queue.sql). */
int store_ship_epoch(struct store *st, int64_t *epoch);

/* Bytes SQLite holds on this process's heap, every connection's page
 * cache included (at most STORE_CACHE_KIB a connection): what the log
 * adds to cgnatd's memory.
 */
int64_t store_memory_used(void);

#endif /* CGNAT_LOGGER_STORE_H */
