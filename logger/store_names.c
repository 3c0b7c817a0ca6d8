// SPDX-License-Identifier: GPL-2.0
/*
 * Names of the store's enum values, shared by the SQL views (which spell
 * the same names in schema/001_initial.sql), cgnatctl output and the
 * formatter. Kept apart from store.c so pure code can use it without
 * linking SQLite.
 */
#include "logger/store.h"

const char *store_reason_name(int reason)
{
	static const char *const names[] = {
		[STORE_REL_NONE] = "-",
		[STORE_REL_IDLE] = "idle",
		[STORE_REL_LIFETIME] = "lifetime",
		[STORE_REL_ADMIN] = "admin",
		[STORE_REL_RECONCILE] = "reconcile",
		[STORE_REL_SHUTDOWN] = "shutdown",
		[STORE_REL_LAYOUT] = "layout-change",
	};

	if (reason < 0 || reason >= (int)(sizeof(names) / sizeof(names[0])))
		return "unknown";
	return names[reason];
}

const char *store_event_name(int type)
{
	static const char *const names[] = {
		[STORE_EVT_ADDR_EXHAUSTED] = "addresses-exhausted",
		[STORE_EVT_PORTS_EXHAUSTED] = "ports-exhausted",
		[STORE_EVT_QUOTA] = "quota-exceeded",
		[STORE_EVT_THRESHOLD] = "threshold",
		[STORE_EVT_RB_OVERRUN] = "ringbuf-overrun",
		[STORE_EVT_RECONCILE] = "reconciliation",
		[STORE_EVT_INTERIM] = "interim",
		[STORE_EVT_HA_TAKEOVER] = "ha-takeover",
		[STORE_EVT_HA_ROLE] = "ha-role",
		[STORE_EVT_LOG_BACKLOG] = "log-backlog",
	};

	if (type <= 0 || type >= (int)(sizeof(names) / sizeof(names[0])))
		return "unknown";
	return names[type];
}
