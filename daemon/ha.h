/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ha.h - cgnatd's half of an active/standby pair (docs/ha.md): the
 * role, the sync channel driven from the daemon's poll loop, takeover and
 * handover. keepalived decides the role and tells
 * cgnatd through `cgnatctl ha active|standby` (ctlsock.c); cgnatd says
 * whether it may be elected (`cgnatctl ha ready`).
 *
 * Active: listens on ha.address; the standby that connects gets a bulk
 * sync (or a resume), then every block event, new flow and session
 * delete as it happens, a MARK each 100 ms proving how far the stream
 * covers the data plane's events, and every live entry again each
 * ha.refresh. Standby: connects to ha.peer, applies what comes into its
 * own maps, grants nothing, sweeps nothing, and writes the synced
 * holdings into its own log (reconcile) without exporting them.
 */
#ifndef CGNAT_DAEMON_HA_H
#define CGNAT_DAEMON_HA_H

#include <stdint.h>

#include "daemon/halink.h"
#include "daemon/hastate.h"

enum ha_role {
	HA_STANDBY = 1,
	HA_ACTIVE = 2,
};

struct ha_stats {
	__u64 sent, applied, apply_errors, connects, bulks, takeovers;
	__u64 purged_maps, purged_sessions; /* at the last takeover */
	__u64 handover_ms; /* the last handover's drain */
};

struct ha {
	enum ha_role role;
	char addr[16], peer[16];
	int port;
	__u64 node; /* this run's id in HELLOs */
	int lfd; /* active: listening on addr; -1 otherwise */
	struct hl_conn c; /* active: the standby; standby: the active */
	struct hs_tx tx;
	struct hs_rx rx;
	struct hst_cursor cur; /* refresh or bulk cycle under way */
	int cycling; /* a cycle is under way */
	int bulk; /* that cycle is a bulk sync: BULK_END after it */
	__u64 bulk_n;
	int64_t next_cycle_ms, next_mark_ms, next_conn_ms, next_rc_ms;
	int64_t role_ms; /* when this role began */
	int64_t peer_ms; /* last time a peer was connected */
	int64_t alone_since_ms; /* standby: no peer since */
	int64_t mark_ms; /* active: the last MARK pushed */
	int64_t drain_ms; /* active: handover began, 0 = none */
	int handover_fd; /* cgnatctl waiting on the handover, -1 */
	int blocks_dirty; /* standby: the log needs a reconcile */
	int handed_over; /* active: drained; not eligible any more */
	struct ha_stats s;
};

#endif /* CGNAT_DAEMON_HA_H */
