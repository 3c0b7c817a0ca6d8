// SPDX-License-Identifier: GPL-2.0
/*
 * cgnat_hasync.c - the interim HA sync process (README, "High
 * availability"), run beside the data plane on the pinned maps until
 * cgnatd runs the channel itself:
 *
 *   cgnat-hasync -c CFG --pin-dir DIR active ADDR PORT [PERIOD_MS]
 *       listens on ADDR:PORT; a standby that connects gets a bulk sync
 *       (or a resume), then every live block, mapping and session again
 *       each PERIOD_MS (default 500), in batches.
 *   cgnat-hasync -c CFG --pin-dir DIR [--state FILE] standby ADDR PORT
 *       connects to the active (again and again), applies what comes into
 *       the pinned maps, prints "ready" once a bulk sync completed; FILE
 *       holds "syncing" until then (and while a new bulk runs), "ready"
 *       after: what a keepalived track script reads to keep a box that
 *       lacks the state from becoming active.
 *
 * Takeover is cgnatd started on the standby's pins: the restart path
 * keeps what is there and logs the synced holdings.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/cfg.h"
#include "daemon/dpconf.h"
#include "daemon/halink.h"
#include "daemon/hastate.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static __u64 clk(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

struct act {
	struct dp *dp;
	struct hl_conn c;
	struct hs_tx tx;
	int err;
};

/* Pushes r, pumping the connection while the queue is full. */
static int act_emit(struct hs_rec *r, void *ctx)
{
	struct act *a = ctx;
	struct pollfd pf;
	int rc;

	while (!hs_tx_room(&a->tx)) {
		rc = hl_active_pump(&a->c, &a->tx);
		if (rc < 0)
			return rc;
		pf = (struct pollfd){.fd = a->c.fd, .events = POLLIN | POLLOUT};
		poll(&pf, 1, 100);
		if (stop)
			return -EINTR;
	}
	return hs_tx_push(&a->tx, r);
}

static int run_active(struct dp *dp, const char *addr, int port, int period)
{
	struct act a = {.dp = dp};
	struct hs_rec end = {.type = HS_BULK_END};
	struct hst_cursor cur;
	enum hs_mode m;
	__u64 n, next;
	int lfd, rc;

	lfd = hl_listen(addr, port);
	if (lfd < 0) {
		fprintf(stderr, "cgnat-hasync: listen %s:%d: %s\n", addr, port,
			strerror(-lfd));
		return 1;
	}
	if (hs_tx_init(&a.tx, 4 << 20, getpid(), clk(CLOCK_REALTIME)))
		return 1;
	while (!stop) {
		rc = hl_accept(lfd, &a.c, &a.tx, 0, 2000, &m);
		if (rc) {
			if (rc != -EINTR)
				fprintf(stderr, "cgnat-hasync: accept: %s\n",
					strerror(-rc));
			continue;
		}
		fprintf(stderr, "cgnat-hasync: standby connected: %s\n",
			m == HS_BULK ? "bulk sync" : "resume");
		if (m == HS_BULK) {
			rc = hst_scan(dp, clk(CLOCK_MONOTONIC),
				      clk(CLOCK_BOOTTIME), act_emit, &a, &n);
			end.count = n;
			if (!rc)
				rc = act_emit(&end, &a);
		}
		next = 0;
		cur = (struct hst_cursor){0};
		while (!rc && !stop) {
			struct pollfd pf = {.fd = a.c.fd, .events = POLLIN};

			if (clk(CLOCK_MONOTONIC) >= next) {
				do {
					rc = hst_refresh_step(
						dp, &cur, clk(CLOCK_MONOTONIC),
						clk(CLOCK_BOOTTIME), act_emit,
						&a, &n);
				} while (rc == 0);
				rc = rc == 1 ? 0 : rc;
				next = clk(CLOCK_MONOTONIC) +
				       (__u64)period * 1000000;
			}
			if (!rc)
				rc = hl_active_pump(&a.c, &a.tx);
			if (!rc)
				poll(&pf, 1, 20);
		}
		fprintf(stderr, "cgnat-hasync: standby gone: %s\n",
			strerror(-rc));
		hl_close(&a.c, NULL);
	}
	hs_tx_free(&a.tx);
	close(lfd);
	return 0;
}

static int sb_apply(const struct hs_rec *r, void *ctx)
{
	return hst_apply(ctx, r, clk(CLOCK_MONOTONIC), clk(CLOCK_BOOTTIME));
}

/* Replaced whole (rename), so a reader never sees half a word. */
static void put_state(const char *file, const char *word)
{
	char tmp[4096];
	FILE *f;

	if (!file)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%s\n", word);
	if (fclose(f) == 0)
		rename(tmp, file);
}

static int run_standby(struct dp *dp, const char *addr, int port,
		       const char *state)
{
	struct hs_rx rx;
	struct hl_conn c;
	int rc, said = 0, was = -1;

	hs_rx_init(&rx);
	while (!stop) {
		if (hl_connect(&c, addr, port, &rx, getpid())) {
			usleep(100000);
			continue;
		}
		do {
			struct pollfd pf = {.fd = c.fd, .events = POLLIN};

			poll(&pf, 1, 100);
			rc = hl_standby_pump(&c, &rx, sb_apply, dp);
			if (rx.ready != was) {
				put_state(state,
					  rx.ready ? "ready" : "syncing");
				was = rx.ready;
			}
			if (rx.ready && !said) {
				printf("ready\n");
				fflush(stdout);
				said = 1;
			}
		} while (rc >= 0 && !stop);
		fprintf(stderr, "cgnat-hasync: connection: %s\n",
			strerror(-rc));
		hl_close(&c, &rx);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *cfgf = NULL, *pin = "/sys/fs/bpf/cgnat", *state = NULL;
	static struct cgnat_config cfg;
	struct dpconf dc;
	struct dp dp;
	char err[512];
	int i = 1, rc;

	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "-c"))
			cfgf = argv[i + 1];
		else if (!strcmp(argv[i], "--pin-dir"))
			pin = argv[i + 1];
		else if (!strcmp(argv[i], "--state"))
			state = argv[i + 1];
	}
	if (!cfgf || argc - i < 3 ||
	    (strcmp(argv[i], "active") && strcmp(argv[i], "standby"))) {
		fprintf(stderr, "usage: cgnat-hasync -c CONFIG [--pin-dir DIR] "
				"[--state FILE] "
				"active|standby ADDR PORT [PERIOD_MS]\n");
		return 2;
	}
	if (cfg_load_file(cfgf, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	if (dpconf_build(&dc, &cfg, 0, pin, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", cfgf, err);
		return 2;
	}
	/* The same pins as the data plane: libbpf reuses them. */
	if (access(pin, F_OK)) {
		fprintf(stderr,
			"cgnat-hasync: nothing pinned in %s: start "
			"cgnatd there first\n",
			pin);
		return 1;
	}
	memset(&dp, 0, sizeof(dp));
	if (dp_open(&dp, &dc.o)) {
		fprintf(stderr, "cgnat-hasync: %s\n", dp.err);
		return 1;
	}
	/* No SA_RESTART: a blocked accept or poll returns on SIGTERM. */
	sigaction(SIGTERM, &(struct sigaction){.sa_handler = on_term}, NULL);
	sigaction(SIGINT, &(struct sigaction){.sa_handler = on_term}, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(argv[i], "active"))
		rc = run_active(&dp, argv[i + 1], atoi(argv[i + 2]),
				argc - i > 3 ? atoi(argv[i + 3]) : 500);
	else
		rc = run_standby(&dp, argv[i + 1], atoi(argv[i + 2]), state);
	dp_close(&dp);
	dpconf_free(&dc);
	return rc;
}
