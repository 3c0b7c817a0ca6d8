// SPDX-License-Identifier: GPL-2.0
/*
 * runtime.c - what the daemon leaves for others while it runs: a pid
 * file and a stats file (its own counters, "key value" lines, replaced
 * atomically) in the run directory for cgnatctl, and READY/STOPPING
 * notifications to systemd (Type=notify) when NOTIFY_SOCKET is set.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/cgnatd.h"
#include "daemon/log.h"

int64_t runtime_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void path_in(char *buf, size_t len, const char *dir, const char *f)
{
	snprintf(buf, len, "%s/%s", dir, f);
}

int runtime_pidfile(const char *dir)
{
	char path[512];
	FILE *f;

	if (mkdir(dir, 0755) && errno != EEXIST) {
		log_warn("create %s", dir);
		return -errno;
	}
	path_in(path, sizeof(path), dir, "cgnatd.pid");
	f = fopen(path, "w");
	if (!f) {
		log_warn("write %s", path);
		return -errno;
	}
	fprintf(f, "%d\n", (int)getpid());
	return fclose(f) ? -errno : 0;
}

void runtime_remove(const char *dir)
{
	char path[512];

	path_in(path, sizeof(path), dir, "cgnatd.pid");
	unlink(path);
	path_in(path, sizeof(path), dir, "cgnatd.stats");
	unlink(path);
	path_in(path, sizeof(path), dir, "cgnatd.sock");
	unlink(path);
}

static void put(FILE *f, const char *k, unsigned long long v)
{
	fprintf(f, "%s %llu\n", k, v);
}

static void put_ipfix(FILE *f, struct ipfix_exporter *ipfix)
{
	struct ipfix_stats s;
	char k[64];
	unsigned int i;

	ipfix_stats(ipfix, &s);
	put(f, "ipfix_submitted", s.submitted);
	put(f, "ipfix_ring_full", s.ring_full);
	put(f, "ipfix_rate_limited", s.rate_limited);
	put(f, "ipfix_encoded", s.encoded);
	for (i = 0; i < s.ncollectors; i++) {
		snprintf(k, sizeof(k), "ipfix_collector_%u_records_sent", i);
		put(f, k, s.coll[i].records_sent);
		snprintf(k, sizeof(k), "ipfix_collector_%u_records_dropped", i);
		put(f, k, s.coll[i].records_dropped);
		snprintf(k, sizeof(k), "ipfix_collector_%u_msgs_refused", i);
		put(f, k, s.coll[i].msgs_refused);
		snprintf(k, sizeof(k), "ipfix_collector_%u_connected", i);
		put(f, k, s.coll[i].connected);
	}
}

/* The expiry sweep: how often, and what the last one found and cost. */
static void put_sweep(FILE *f, const struct dprun *r)
{
	put(f, "sweeps", r->sweeps);
	put(f, "sweep_interval_ms", r->sweep_ms);
	put(f, "sweep_last_us", r->last_sweep_ns / 1000);
	put(f, "sweep_cpu_ms", r->sweep_cpu_ns / 1000000);
	put(f, "sweep_step_max_us", r->sweep_step_max_ns / 1000);
	put(f, "sweep_last_sessions_seen", r->last.sessions_seen);
	put(f, "sweep_last_sessions_expired", r->last.sessions_expired);
	put(f, "sweep_last_mappings_seen", r->last.mappings_seen);
	put(f, "sweep_last_mappings_expired", r->last.mappings_expired);
	put(f, "sweep_last_mappings_sole", r->last.mappings_sole);
	put(f, "sweep_map_every", dp_sweep_map_every(&r->dp.sw));
	put(f, "sweep_last_rsess_deleted", r->last.rsess_deleted);
	/* The due index (docs/scale-expiry.md): whether the last pass read
	 * it, how many did, what it named, and the data plane's log since
	 * the start.
	 */
	put(f, "sweep_last_by_due", r->dp.sw.by_due);
	put(f, "sweep_due_passes", r->due_passes);
	put(f, "sweep_last_due_named", r->dp.sw.due_named);
	put(f, "sweep_due_logged", r->dp.sw.due_logged);
	put(f, "sweep_due_lost", r->dp.sw.due_lost);
}

/* The block lifecycle's cycle over held and resting blocks. */
static void put_scan(FILE *f, const struct dprun *r)
{
	put(f, "block_scans", r->scans);
	put(f, "block_scan_period_ms", r->scan_period_ms);
	put(f, "block_scan_last_us", r->scan_last_ns / 1000);
	put(f, "block_scan_cpu_ms", r->scan_cpu_ns / 1000000);
}

/* The grant refill thread: bells read, runs, slots it filled. */
static void put_refill(FILE *f, const struct refill *rf)
{
	put(f, "refill_bells", __atomic_load_n(&rf->bells, __ATOMIC_RELAXED));
	put(f, "refill_runs", __atomic_load_n(&rf->runs, __ATOMIC_RELAXED));
	put(f, "refill_slots", __atomic_load_n(&rf->filled, __ATOMIC_RELAXED));
	put(f, "refill_wait_max_us",
	    __atomic_load_n(&rf->wait_max_ns, __ATOMIC_RELAXED) / 1000);
	put(f, "refill_late_max_us",
	    __atomic_load_n(&rf->late_max_ns, __ATOMIC_RELAXED) / 1000);
	put(f, "refill_quiets", __atomic_load_n(&rf->quiets, __ATOMIC_RELAXED));
}

/* log.central: the shipper's backlog (cgnatctl status and metrics). */
static void put_ship(FILE *f, struct ship *ship)
{
	struct ship_stats s;

	ship_get_stats(ship, &s);
	put(f, "central_enabled", 1);
	put(f, "central_connected", s.connected);
	put(f, "central_acked_seq", s.acked_seq < 0 ? 0 : s.acked_seq);
	put(f, "central_last_seq", s.last_seq);
	put(f, "central_rows_behind", s.rows_behind);
	put(f, "central_oldest_unshipped_ms",
	    s.oldest_ms < 0 ? 0 : s.oldest_ms);
	put(f, "central_rows_shipped", s.rows_shipped);
	put(f, "central_batches", s.batches);
	put(f, "central_failures", s.failures);
}

void runtime_stats(const char *dir, const struct evlog *ev,
		   struct ipfix_exporter *ipfix, int64_t started_ms,
		   int64_t reload_ms, __u64 reconciles, struct ship *ship)
{
	char path[512], tmp[520];
	FILE *f;

	path_in(path, sizeof(path), dir, "cgnatd.stats");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	put(f, "pid", (unsigned long long)getpid());
	put(f, "written_ms", runtime_now_ms());
	put(f, "started_ms", started_ms);
	put(f, "reload_ms", reload_ms);
	put(f, "reconciles", reconciles);
	put(f, "log_assigned", ev->s.assigned);
	put(f, "log_released", ev->s.released);
	put(f, "log_interims", ev->s.interims);
	put(f, "log_events", ev->s.events);
	put(f, "log_duplicates", ev->s.duplicates);
	put(f, "log_replaced", ev->s.replaced);
	put(f, "log_commits", ev->s.commits);
	put(f, "log_write_errors", ev->s.write_errors);
	put(f, "log_backlog", evlog_backlog(ev));
	put(f, "log_memory_kb", (unsigned long long)store_memory_used() / 1024);
	put(f, "log_holding", ev->holding);
	put(f, "log_failing_ms", ev->failing_ms);
	put(f, "log_late", ev->s.late);
	put(f, "log_holds", ev->s.holds);
	put(f, "log_lost", ev->s.lost);
	put(f, "log_refused", ev->s.refused);
	put(f, "log_from_table", ev->s.from_table);
	put(f, "ipfix_refused", ev->s.ipfix_refused);
	put(f, "log_sess_created", ev->s.sess_created);
	put(f, "log_sess_deleted", ev->s.sess_deleted);
	put(f, "log_sess_unseen", ev->s.sess_unseen);
	put(f, "log_sess_reconciled", ev->s.sess_reconciled);
	if (ev->run) {
		put_sweep(f, ev->run);
		put_scan(f, ev->run);
		put_refill(f, &ev->run->rf);
	}
	if (ipfix)
		put_ipfix(f, ipfix);
	if (ship)
		put_ship(f, ship);
	if (fclose(f) || rename(tmp, path))
		unlink(tmp);
}

void runtime_notify(const char *state)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n;
	int fd;

	if (!sock || (sock[0] != '/' && sock[0] != '@'))
		return;
	n = strlen(sock);
	if (n >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, sock, n);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = 0; /* abstract socket */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, state, strlen(state), 0, (struct sockaddr *)&sa,
		   offsetof(struct sockaddr_un, sun_path) + n) < 0)
		log_warn("notify systemd");
	close(fd);
}
