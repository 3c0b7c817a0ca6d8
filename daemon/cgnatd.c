// SPDX-License-Identifier: GPL-2.0
/*
 * cgnatd - the cgnat daemon: reads the YAML configuration, loads and
 * attaches the XDP data plane (reusing pinned maps and links, so a restart
 * or an upgrade never stops traffic), keeps the allocator's grants
 * stocked, logs every port block to SQLite and exports it over IPFIX.
 * One poll() loop owns everything but the exporter's thread. SIGHUP
 * reloads, SIGTERM/SIGINT stop and leave the data plane forwarding.
 *
 *   cgnatd -c FILE [--foreground] [--check] [--allow-unsafe-timers]
 *          [--pin-dir DIR] [--run-dir DIR] [-v]
 *   cgnatd [-c FILE] --detach [--pin-dir DIR] [--run-dir DIR]
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "daemon/cgnatd.h"
#include "daemon/log.h"
#include "daemon/pcp.h"

static volatile sig_atomic_t sig_stop, sig_hup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		sig_hup = 1;
	else
		sig_stop = 1;
}

static void signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static const struct option cgnatd_opts[] = {
	{"config", 1, 0, 'c'},
	{"foreground", 0, 0, 'f'},
	{"check", 0, 0, 'k'},
	{"detach", 0, 0, 'd'},
	{"pin-dir", 1, 0, 'P'},
	{"run-dir", 1, 0, 'R'},
	{"allow-unsafe-timers", 0, 0, 'U'},
	{"verbose", 0, 0, 'v'},
	{"help", 0, 0, 'h'},
	{0, 0, 0, 0},
};

/* --help: on stdout, exit 0; a wrong command line: on stderr, exit 2.
 * The options are printed from the table, so none goes unlisted. */
static void usage(int help)
{
	FILE *f = help ? stdout : stderr;
	const struct option *o;

	fprintf(f, "usage: cgnatd -c FILE [--foreground] [--check] "
		   "[--allow-unsafe-timers]\n"
		   "              [--pin-dir DIR] [--run-dir DIR] [-v]\n"
		   "       cgnatd [-c FILE] --detach [--pin-dir DIR] "
		   "[--run-dir DIR]\n"
		   "options:");
	for (o = cgnatd_opts; o->name; o++)
		fprintf(f, " --%s%s", o->name, o->has_arg ? " ARG" : "");
	fputs("\n(-c is --config, -f --foreground, -v --verbose; see "
	      "cgnatd(8))\n", f);
	exit(help ? 0 : 2);
}

static void parse_args(struct cgnatd_args *a, int argc, char **argv)
{
	int c;

	a->pin_dir = CGNAT_PIN_DIR;
	a->run_dir = CGNATD_DEFAULT_RUN_DIR;
	while ((c = getopt_long(argc, argv, "c:fv", cgnatd_opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a->config = optarg;
			break;
		case 'f':
			a->foreground = 1;
			break;
		case 'k':
			a->check = 1;
			break;
		case 'd':
			a->detach = 1;
			break;
		case 'P':
			a->pin_dir = optarg;
			break;
		case 'R':
			a->run_dir = optarg;
			break;
		case 'U':
			a->allow_unsafe = 1;
			break;
		case 'v':
			a->verbose = 1;
			break;
		case 'h':
			usage(1);
			break;
		default:
			usage(0);
		}
	}
	if (optind != argc || (!a->config && !a->detach))
		usage(0);
}

/*
 * Every error in the file, as a compiler lists them: plain
 * FILE:LINE:COLUMN lines on stderr for --check (then -1), log lines for a
 * start.
 */
static int load_config(struct cgnatd *d)
{
	static struct cfg_errors errs;
	char sum[64];
	unsigned int i;

	if (cfg_load_file_all(d->a.config, &d->cfg, &errs)) {
		if (d->a.check) {
			cfg_errors_print(stderr, &errs);
			return -1;
		}
		for (i = 0; i < errs.kept; i++)
			log_warnx("%s", errs.v[i].msg);
		if (errs.n > errs.kept)
			log_warnx("... and %u more", errs.n - errs.kept);
		cfg_errors_summary(&errs, sum, sizeof(sum));
		fatalx("%s: %s, not started", d->a.config, sum);
	}
	if (d->cfg.testing.unsafe_short_timers && !d->a.allow_unsafe)
		fatalx("%s: testing.unsafe_short_timers lowers the RFC timer "
		       "floors and is for test suites only; refusing without "
		       "--allow-unsafe-timers",
		       d->a.config);
	return 0;
}

/*
 * Forks; the parent waits until the child reports that it runs (or dies)
 * and exits with that status, so `cgnatd -c FILE` fails visibly.
 */
static int daemon_fork(void)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p))
		fatal("pipe");
	pid = fork();
	if (pid < 0)
		fatal("fork");
	if (pid > 0) {
		close(p[1]);
		_exit(read(p[0], &c, 1) == 1 && c == 0 ? 0 : 1);
	}
	close(p[0]);
	if (setsid() < 0)
		fatal("setsid");
	return p[1];
}

static void daemon_ready(int fd)
{
	char c = 0;

	if (fd < 0)
		return;
	if (!freopen("/dev/null", "r", stdin) ||
	    !freopen("/dev/null", "w", stdout))
		fatal("/dev/null");
	log_foreground(0);
	if (!freopen("/dev/null", "w", stderr) || write(fd, &c, 1) != 1)
		fatal("report start");
	close(fd);
}

/* Every second: a ring-buffer overrun or a failed batch reconciles. */
static void check_lost(struct cgnatd *d)
{
	struct reconcile_stats rs;
	__u64 v[STAT_MAX];

	if (dp_stats(&d->run.dp, v))
		return;
	if (v[STAT_EVT_LOST] > d->evt_lost) {
		struct store_event se = {
			.time_ms = runtime_now_ms(),
			.instance = d->cfg.instance,
			.type = STORE_EVT_RB_OVERRUN,
			.has_value = 1,
			.value = (int64_t)(v[STAT_EVT_LOST] - d->evt_lost),
		};

		log_warnx("ring buffer overrun: %llu events lost, "
			  "reconciling from the block table",
			  (unsigned long long)se.value);
		d->evt_lost = v[STAT_EVT_LOST];
		if (store_event(d->st, &se))
			log_warnx("log overrun: %s", store_errmsg(d->st));
		d->ev.need_reconcile = 1;
	}
	if (d->ev.need_reconcile) {
		int start = d->ev.start_pending;

		d->reconciles++;
		if (!reconcile(&d->ev, 0,
			       start ? "start, once the log could commit"
				     : "after lost events or a failed write",
			       start ? RC_ANNOUNCE | RC_TABLE : 0, &rs) &&
		    start) {
			d->ev.start_pending = 0;
			d->run.hold_grants &= ~DPRUN_HOLD_START;
		}
	}
}

#define PRUNE_BATCH 1000
static void housekeeping(struct cgnatd *d)
{
	int64_t now = runtime_now_ms();
	int n;

	if (now >= d->next_check_ms) {
		check_lost(d);
		cgnatd_fleet_tick(d);
		cgnatd_warn_frag(d);
		d->next_check_ms = now + 1000;
	}
	if (now >= d->next_stats_ms) {
		runtime_stats(d->a.run_dir, &d->ev, d->ipfix, d->started_ms,
			      d->reload_ms, d->reconciles, d->ship);
		d->next_stats_ms = now + 5000;
	}
	if (d->cfg.log.retention_ms && now >= d->next_prune_ms) {
		n = store_prune(d->st,
				cgnatd_fleet_prune_cutoff(
					d, now - (int64_t)d->cfg.log.retention_ms),
				PRUNE_BATCH);
		if (n < 0)
			log_warnx("retention: %s", store_errmsg(d->st));
		d->next_prune_ms = n == PRUNE_BATCH ? now : now + 600000;
	}
	if (now >= d->next_cfglog_ms) {
		d->next_cfglog_ms = now + 86400000; /* +10 s if it fails */
		cgnatd_config_log(d, d->cfglog_retry ? d->cfglog_retry
						     : "daily");
	}
	cgnatd_det_tick(d, now);
}

enum { SLOT_EVENTS, SLOT_CTL, SLOT_PCP, SLOT_HA, SLOT_MAX = SLOT_HA + 2 };

static void loop(struct cgnatd *d)
{
	struct pollfd pfd[SLOT_MAX];
	int64_t t;
	int rc, n;

	pfd[SLOT_EVENTS].fd = dprun_fd(&d->run);	/* events, netlink */
	pfd[SLOT_EVENTS].events = POLLIN;
	pfd[SLOT_CTL].fd = d->ctl_fd;			/* -1: ignored */
	pfd[SLOT_CTL].events = POLLIN;
	pfd[SLOT_PCP].fd = cgnatd_pcp_fd(d);		/* -1: ignored */
	pfd[SLOT_PCP].events = POLLIN;
	while (!sig_stop) {
		if (sig_hup) {
			sig_hup = 0;
			cgnatd_reload(d);
		}
		pfd[SLOT_CTL].revents = pfd[SLOT_PCP].revents = 0;
		n = SLOT_HA + cgnatd_ha_fds(d, pfd + SLOT_HA);
		if (poll(pfd, n, dprun_busy(&d->run) ? 0 : 100) < 0 &&
		    errno != EINTR)
			fatal("poll");
		t = runtime_now_ms();
		rc = dprun_poll(&d->run, 0);
		/* HA's MARK: only a round that read every ring to its end
		 * has every event raised before it began. */
		if (d->run.ev_drained)
			d->poll_ms = t;
		if (rc)
			log_warnx("data plane poll: %s", strerror(-rc));
		evlog_flush(&d->ev);
		if (pfd[SLOT_CTL].revents & POLLIN)
			cgnatd_ctl_accept(d);
		if (pfd[SLOT_PCP].revents & POLLIN)
			cgnatd_pcp_input(d);
		cgnatd_pcp_tick(d);
		cgnatd_ha_tick(d);
		housekeeping(d);
	}
}

static void stop(struct cgnatd *d)
{
	runtime_notify("STOPPING=1");
	evlog_flush(&d->ev);
	cgnatd_ha_stop(d);
	cgnatd_pcp_stop(d);
	if (d->ctl_fd >= 0)
		close(d->ctl_fd);
	cgnatd_fleet_stop(d);
	if (d->ipfix)
		ipfix_destroy(d->ipfix);
	dprun_stop(&d->run); /* links and maps stay pinned */
	store_close(d->st);
	evlog_free(&d->ev);
	dpconf_free(&d->dc);
	runtime_remove(d->a.run_dir);
	log_info("stopped; the data plane keeps forwarding from the pins "
		 "in %s",
		 d->a.pin_dir);
}

int main(int argc, char **argv)
{
	static struct cgnatd d;
	int ready_fd = -1;

	parse_args(&d.a, argc, argv);
	log_init("cgnatd", 1, d.a.verbose);
	if (d.a.config && load_config(&d))
		return 1;
	if (d.a.check) {
		if (cfg_dump(stdout, &d.cfg))
			return 1;
		return 0;
	}
	if (d.a.detach)
		return cgnatd_detach(&d);
	if (!d.a.foreground)
		ready_fd = daemon_fork();
	signals();
	cgnatd_start(&d);
	daemon_ready(ready_fd);
	runtime_notify("READY=1");
	loop(&d);
	stop(&d);
	return 0;
}
