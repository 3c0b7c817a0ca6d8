/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ctl.h - cgnatctl's internal header, prototypes grouped by file. Every
 * command prints human text, or one JSON document with --json, and
 * returns the process exit status: 0 ok (found), 1 not found or data
 * plane absent, 2 error.
 */
#ifndef CGNAT_DAEMON_CTL_H
#define CGNAT_DAEMON_CTL_H

#include <stdint.h>
#include <stdio.h>

#include "config/cfg.h"
#include "daemon/pins.h"
#include "logger/store.h"

struct ctl {
	const char *config; /* -c, NULL if none */
	const char *db; /* --db, or the config's database */
	const char *pin_dir;
	const char *run_dir;
	const char *at, *from, *to; /* time options, as typed */
	int json;
	const char *central; /* --central URL (or --fleet: log.central.url) */
	int fleet;
	int have_cfg;
	struct cgnat_config cfg;
	int argc; /* positional arguments after the */
	char **argv; /* command */
};

/* --- cgnatctl.c -------------------------------------------------------- */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Open the pins; prints why not. 1 absent, 2 error, 0 ok. */
int ctl_pins(struct ctl *c, struct pins *p);
/* Open the log read-only; prints why not. NULL on failure. */
struct store *ctl_store(struct ctl *c);
/* Pool name of pool index i ("pool<i>" without a configuration). */
const char *ctl_pool_name(const struct ctl *c, uint32_t i, char *buf,
			  size_t len);

/* --- ctl_out.c: small output helpers ----------------------------------- */
void json_str(FILE *f, const char *s);
void fmt_addr_be(uint32_t be, char *buf, size_t len);
void fmt_time(int64_t ms, char *buf, size_t len);
/* The daemon's stats file: value of key, or -1. Reads once per call. */
int daemon_stats(const char *run_dir, const char *key, long long *val);
/* cgnatd's pid if it runs (pid file in run_dir and alive), else 0. */
int daemon_pid(const char *run_dir);
int parse_sub(const char *s, uint32_t *addr); /* host order */

/* --- ctl_status.c: status ------------------------------------------------ */

/* What status and metrics share: usage per address and in total. */
struct ctl_addr_use {
	uint32_t subs, held, quarantined, ports[3];
};
struct ctl_use {
	struct ctl_addr_use *a; /* per address index */
	uint32_t held, quarantined, subscribers;
	uint64_t sessions;
	long long open_rows; /* -1: log not readable */
};
int ctl_use(struct ctl *c, const struct pins *p, struct ctl_use *u);
int cmd_status(struct ctl *c);

/* --- ctl_metrics.c ------------------------------------------------------- */
int cmd_metrics(struct ctl *c);

/* --- ctl_log.c: lookup, history ------------------------------------------ */
int cmd_lookup(struct ctl *c);
int cmd_history(struct ctl *c);
/* The --at or --from/--to window (need: one is required; otherwise all
 * time). Prints why not; -EINVAL. */
int ctl_window(struct ctl *c, int need, int64_t *from, int64_t *to);

/* --- ctl_det.c: deterministic pools -------------------------------------- */
int cmd_det_table(struct ctl *c);

/* --- ctl_central.c: the fleet log in PostgreSQL ------------------------ */
struct pgc;
/* Connect to c->central and check its schema; prints why not. NULL on
 * failure. ctl_central_close() frees it. */
struct pgc *ctl_central(struct ctl *c);
void ctl_central_close(struct pgc *p);
int cmd_central_migrate(struct ctl *c);

/* --- ctl_ha.c: the HA pair, through cgnatd's control socket ---------- */
/* Sends one request line, reads the reply (up to timeout_ms). 0/-errno. */
int ctl_ha_request(const char *run_dir, const char *req, char *buf,
		   size_t len, int timeout_ms);
/* The subcommands of `cgnatctl ha`, NULL-terminated. */
extern const char *const ctl_ha_subs[];
int cmd_ha(struct ctl *c);

/* --- ctl_pcp.c: the PCP server's mappings and counters ------------------ */
int cmd_pcp(struct ctl *c);
/* status's HA line(s); nothing without an ha section or a cgnatd. */
void ctl_ha_text(struct ctl *c);
void ctl_ha_metrics(struct ctl *c,
		    void (*gauge)(const char *name, const char *text,
				  unsigned long long v));

/* --- ctl_sesslog.c: the per-session log ---------------------------------- */
int cmd_sessions_log(struct ctl *c);

/* --- ctl_state.c: sessions, blocks --------------------------------------- */
int cmd_sessions(struct ctl *c);
int cmd_blocks(struct ctl *c);

#endif /* CGNAT_DAEMON_CTL_H */
