// SPDX-License-Identifier: GPL-2.0
/*
 * cgnatctl - operations on a running cgnat: state and counters from the
 * pinned maps (they are there whether cgnatd runs or not), answers from
 * the compliance log (read-only, while cgnatd writes).
 *
 *   cgnatctl [-c FILE | --db PATH] status | metrics
 *   cgnatctl [-c FILE] sessions SUBSCRIBER | blocks [SUBSCRIBER]
 *   cgnatctl [-c FILE | --db PATH] lookup IP:PORT --at TIME
 *                                        | --from TIME --to TIME
 *   cgnatctl [-c FILE | --db PATH] lookup -   (lines "IP:PORT TIME" or
 *                                             "IP:PORT FROM TO" on stdin)
 *   cgnatctl [-c FILE | --db PATH] history SUBSCRIBER [--from T --to T]
 *   cgnatctl [-c FILE | --db PATH] det-table [--at TIME] (deterministic pools,
 *     CSV or --json)
 *   lookup and history with --central URL (or --fleet: the config's
 *   log.central.url) answer from the fleet log in PostgreSQL
 *   cgnatctl --central URL | --fleet central-migrate
 *   cgnatctl ha active | standby | ready | handover | status
 *   cgnatctl pcp   (the PCP server's mappings and counters)
 *   common: --json, --pin-dir DIR, --run-dir DIR
 *
 * Exit status: 0 ok or found, 1 not found (or no data plane pinned),
 * 2 error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/cgnatd.h"
#include "daemon/ctl.h"

void ctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("cgnatctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int ctl_pins(struct ctl *c, struct pins *p)
{
	char err[512];
	int rc = dp_ensure_bpffs(c->pin_dir, err, sizeof(err));

	if (rc) {
		ctl_err("%s", err);
		return 2;
	}
	rc = pins_open(p, c->pin_dir, err, sizeof(err));

	if (rc == -ENOENT) {
		ctl_err("no data plane pinned in %s", c->pin_dir);
		return 1;
	}
	if (rc) {
		ctl_err("%s", err);
		return 2;
	}
	return 0;
}

struct store *ctl_store(struct ctl *c)
{
	struct store *st = NULL;
	char err[512];

	if (store_open_ro(c->db, &st, err, sizeof(err))) {
		ctl_err("log database %s: %s", c->db, err);
		return NULL;
	}
	return st;
}

const char *ctl_pool_name(const struct ctl *c, uint32_t i, char *buf,
			  size_t len)
{
	if (c->have_cfg && i < c->cfg.n_pools)
		snprintf(buf, len, "%s", c->cfg.pools[i].name);
	else
		snprintf(buf, len, "pool%u", i);
	return buf;
}

/* The commands: main() dispatches on this table and usage() prints it,
 * so the help (and the man-page test reading it) lists every command. */
struct ctl_cmd {
	const char *name;
	int (*run)(struct ctl *c);
	const char *synopsis; /* "%s" is the name */
};

static const struct ctl_cmd ctl_cmds[] = {
	{"status", cmd_status, "[-c FILE | --db PATH] %s"},
	{"metrics", cmd_metrics, "[-c FILE | --db PATH] %s"},
	{"sessions", cmd_sessions, "[-c FILE] %s SUBSCRIBER"},
	{"blocks", cmd_blocks, "[-c FILE] %s [SUBSCRIBER]"},
	{"lookup", cmd_lookup,
	 "[-c FILE | --db PATH | --central URL | "
	 "--fleet] %s IP:PORT --at TIME | --from TIME "
	 "--to TIME | - (IP:PORT TIME per line on "
	 "stdin)"},
	{"history", cmd_history,
	 "[-c FILE | --db PATH | --central URL | "
	 "--fleet] %s SUBSCRIBER [--from TIME --to "
	 "TIME]"},
	{"det-table", cmd_det_table, "[-c FILE | --db PATH] %s [--at TIME]"},
	{"sessions-log", cmd_sessions_log,
	 "[-c FILE | --db PATH] %s IP:PORT --at TIME | --from TIME --to "
	 "TIME | SUBSCRIBER [--from TIME --to TIME]"},
	{"central-migrate", cmd_central_migrate, "--central URL | --fleet %s"},
	{"ha", cmd_ha, "[--run-dir DIR] %s SUBCOMMAND"},
	{"pcp", cmd_pcp, "[--run-dir DIR] %s"},
	{NULL, NULL, NULL},
};

static const struct option ctl_opts[] = {
	{"config", 1, 0, 'c'},	{"db", 1, 0, 'D'},   {"pin-dir", 1, 0, 'P'},
	{"run-dir", 1, 0, 'R'}, {"json", 0, 0, 'j'}, {"at", 1, 0, 'a'},
	{"from", 1, 0, 'f'},	{"to", 1, 0, 't'},   {"central", 1, 0, 'C'},
	{"fleet", 0, 0, 'F'},	{"help", 0, 0, 'h'}, {0, 0, 0, 0},
};

/* --help: on stdout, exit 0; a wrong command line: on stderr, exit 2. */
static void usage(int help)
{
	FILE *f = help ? stdout : stderr;
	const struct ctl_cmd *k;
	const struct option *o;
	int i;

	for (k = ctl_cmds; k->name; k++) {
		fputs(k == ctl_cmds ? "usage: cgnatctl " : "       cgnatctl ",
		      f);
		fprintf(f, k->synopsis, k->name);
		fputc('\n', f);
	}
	fputs("ha SUBCOMMAND:", f);
	for (i = 0; ctl_ha_subs[i]; i++)
		fprintf(f, " %s", ctl_ha_subs[i]);
	fputs("\noptions:", f);
	for (o = ctl_opts; o->name; o++)
		fprintf(f, " --%s%s", o->name, o->has_arg ? " ARG" : "");
	fputs("\n(-c is --config; see cgnatctl(8))\n", f);
	exit(help ? 0 : 2);
}

static void parse_args(struct ctl *c, int argc, char **argv)
{
	int o;

	c->pin_dir = CGNAT_PIN_DIR;
	c->run_dir = CGNATD_DEFAULT_RUN_DIR;
	while ((o = getopt_long(argc, argv, "c:", ctl_opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			c->config = optarg;
			break;
		case 'D':
			c->db = optarg;
			break;
		case 'P':
			c->pin_dir = optarg;
			break;
		case 'R':
			c->run_dir = optarg;
			break;
		case 'j':
			c->json = 1;
			break;
		case 'a':
			c->at = optarg;
			break;
		case 'f':
			c->from = optarg;
			break;
		case 't':
			c->to = optarg;
			break;
		case 'C':
			c->central = optarg;
			break;
		case 'F':
			c->fleet = 1;
			break;
		case 'h':
			usage(1);
			break;
		default:
			usage(0);
		}
	}
	if (optind >= argc)
		usage(0);
	c->argc = argc - optind;
	c->argv = argv + optind;
}

/* -c FILE, else the default file when it exists; the database from it
 * unless --db names one. */
static int load_config(struct ctl *c)
{
	static char db[CFG_PATH_LEN];
	char err[512];

	if (!c->config && !access(CGNATD_DEFAULT_CONFIG, R_OK))
		c->config = CGNATD_DEFAULT_CONFIG;
	if (c->config) {
		if (cfg_load_file(c->config, &c->cfg, err, sizeof(err))) {
			ctl_err("%s", err);
			return 2;
		}
		c->have_cfg = 1;
	} else {
		cfg_defaults(&c->cfg);
	}
	if (!c->db) {
		snprintf(db, sizeof(db), "%s", c->cfg.log.database);
		c->db = db;
	}
	if (c->fleet && !c->central) {
		if (!c->cfg.log.central.url[0]) {
			ctl_err("--fleet: no log.central.url in %s; give "
				"--central URL",
				c->config ? c->config : "the configuration");
			return 2;
		}
		c->central = c->cfg.log.central.url;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct ctl c;
	const struct ctl_cmd *k;
	int rc;

	parse_args(&c, argc, argv);
	for (k = ctl_cmds; k->name && strcmp(k->name, c.argv[0]); k++)
		;
	if (!k->name) {
		ctl_err("unknown command '%s'", c.argv[0]);
		usage(0);
	}
	rc = load_config(&c);
	if (rc)
		return rc;
	return k->run(&c);
}
