// SPDX-License-Identifier: GPL-2.0
/*
 * start.c - bringing cgnatd up in a fixed order: configuration to data
 * plane options, a check that pinned state fits them, an exclusive lock
 * on the pin directory (two allocators on one block table would grant a
 * block twice), the log, the exporter, the data plane (reusing pins:
 * traffic never stops), then reconciliation of the log with the block
 * table. And the way down for good: --detach.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/cgnatd.h"
#include "daemon/detlog.h"
#include "daemon/log.h"
#include "daemon/pincheck.h"
#include "daemon/pcp.h"

/* Held for the life of the process (the fd is never closed). The bpffs
 * comes first: on a machine without one the lock would land in sysfs.
 */
static int lock_pins(const char *dir)
{
	char err[256];
	int fd;

	if (dp_ensure_bpffs(dir, err, sizeof(err)))
		fatalx("%s", err);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	}
	return 0;
}

static void mkdir_parent(const char *path)
{
	char buf[CFG_PATH_LEN], *dir, *p;

	snprintf(buf, sizeof(buf), "%s", path);
	dir = dirname(buf);
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		mkdir(dir, 0750);
		*p = '/';
	}
	mkdir(dir, 0750);
}

static void build_options(struct cgnatd *d)
{
	const char *in = d->cfg.interfaces.inside;
	char err[256], msg[256];
	int rc;

	if (!if_nametoindex(in) || !if_nametoindex(d->cfg.interfaces.outside))
		fatalx("%s: interfaces: no interface named %s: create it, or "
		       "name the right one in interfaces.%s",
		       d->a.config,
		       if_nametoindex(in) ? d->cfg.interfaces.outside : in,
		       if_nametoindex(in) ? "outside" : "inside");
	if (dpconf_if_addr(in, &d->icmp_src)) {
		log_warnx("%s has no IPv4 address: no ICMP errors are sent "
			  "for refused mappings",
			  in);
		d->icmp_src = 0;
	}
	if (dpconf_build(&d->dc, &d->cfg, d->icmp_src, d->a.pin_dir, err,
			 sizeof(err)))
		fatalx("%s: %s", d->a.config, err);
	if (!d->icmp_src)
		d->dc.o.cfg.unreach_rate = 0;
	/* Time exceeded and packet too big towards the internet come from
	 * the outside address, else from the first pool address.
	 */
	if (dpconf_if_addr(d->cfg.interfaces.outside,
			   &d->dc.o.cfg.icmp_src_out))
		d->dc.o.cfg.icmp_src_out = d->dc.o.addrs[0];
	rc = lock_pins(d->a.pin_dir);
	if (rc == -EBUSY)
		fatalx("another cgnatd runs on %s: stop it first, or give "
		       "this one its own --pin-dir",
		       d->a.pin_dir);
	if (rc)
		fatalx("lock %s: %s; the pin directory must be creatable on "
		       "a bpffs (see --pin-dir)",
		       d->a.pin_dir, strerror(-rc));
	rc = pincheck(d->a.pin_dir, &d->dc.o, msg, sizeof(msg));
	if (rc == -ESTALE)
		fatalx("the data plane pinned in %s was built for another "
		       "configuration (%s); this change needs a cold start: "
		       "cgnatd -c %s --detach --pin-dir %s (traffic stops), "
		       "then start",
		       d->a.pin_dir, msg, d->a.config, d->a.pin_dir);
	if (rc)
		fatalx("read pins in %s: %s; if they are left over from "
		       "something else, cgnatd -c %s --detach --pin-dir %s "
		       "removes them (a cold start)",
		       d->a.pin_dir, strerror(-rc), d->a.config, d->a.pin_dir);
}

static void open_log(struct cgnatd *d)
{
	char err[512];

	mkdir_parent(d->cfg.log.database);
	if (store_open(d->cfg.log.database, &d->st, err, sizeof(err)))
		fatalx("log database %s: %s; its directory must be writable "
		       "(log.database in %s)",
		       d->cfg.log.database, err, d->a.config);
	d->ev.st = d->st;
	d->ev.cfg = &d->cfg;
	d->ev.run = &d->run;
	d->ev.dc = &d->dc;
}

/* The data plane's events: to the log, then (active) to the standby. */
static int cgnatd_event(void *ctx, const struct cgnat_event *e, __u64 utc_ms)
{
	struct cgnatd *d = ctx;
	int rc = evlog_event(&d->ev, e, utc_ms);

	cgnatd_ha_event(d, e);
	return rc;
}

/* Deterministic layouts (RFC 7422): what the data plane switches to at
 * this start is logged first - the log is the configuration - and the
 * subscribers a change moved are frozen out of their new range for the
 * quarantine (cgnat_det_frozen, written at load) and flushed after it.
 */
static struct detlog_moved det_moved;
static __be32 *det_frozen;
static int64_t det_switch_ms;
static int64_t det_hold_until_ms;	/* 0: no blocks held back */

static void det_layouts(struct cgnatd *d)
{
	struct store_det_layout r;
	struct timespec mono;
	int64_t now = runtime_now_ms();
	unsigned int i;
	int rc;

	det_switch_ms = now;
	rc = detlog_sync(d->st, &d->cfg, now, &det_moved);
	if (rc < 0)
		fatalx("deterministic layout log: %s; not starting a layout "
		       "that is not logged",
		       store_errmsg(d->st));
	for (i = 0; i < d->cfg.n_pools && i < CGNAT_MAX_POOLS; i++) {
		d->dc.o.det_pools[i].hold_end = det_moved.hold_end[i];
		if (det_moved.hold_end[i])
			det_hold_until_ms = det_moved.until_ms;
	}
	for (i = 0; i < d->cfg.n_pools; i++)
		if (d->cfg.pools[i].mode == CFG_POOL_DETERMINISTIC &&
		    !store_det_latest(d->st, d->cfg.instance,
				      d->cfg.pools[i].name, &r)) {
			d->dc.o.det_pools[i].version = r.version;
			log_info("pool %s: deterministic layout v%u, %u "
				 "subscribers per address, %u ports each",
				 r.pool, r.version, r.spa, r.pps);
		}
	if (!det_moved.n)
		return;
	det_frozen = calloc(det_moved.n, sizeof(*det_frozen));
	if (!det_frozen)
		fatalx("deterministic layout: out of memory");
	for (i = 0; i < det_moved.n; i++)
		det_frozen[i] = htonl(det_moved.sub[i]);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	d->dc.o.det_frozen = det_frozen;
	d->dc.o.n_det_frozen = det_moved.n;
	d->dc.o.det_frozen_until_ns =
		(__u64)mono.tv_sec * 1000000000ull + mono.tv_nsec +
		(__u64)(det_moved.until_ms - now) * 1000000ull;
}

/* After the switch: the moved subscribers' old sessions and mappings go. */
static void det_flush(struct cgnatd *d)
{
	int rc;

	if (!det_moved.n)
		return;
	rc = dp_flush_subs(&d->run.dp, det_frozen, det_moved.n);
	if (rc < 0)
		log_warnx("deterministic layout: flush of moved subscribers: "
			  "%s",
			  strerror(-rc));
	else
		log_info("deterministic layout change moved %u subscribers: "
			 "%d mappings flushed, their new ranges rest %llds",
			 det_moved.n, rc,
			 (long long)(det_moved.until_ms - runtime_now_ms()) /
				 1000);
	d->dc.o.det_frozen = NULL;
	d->dc.o.n_det_frozen = 0;
	free(det_frozen);
	det_frozen = NULL;
	detlog_moved_free(&det_moved);
}

/* Ranges announced at one start at most: the start waits for the
 * exporter, and the layout log answers for the rest.
 */
#define DET_ANNOUNCE_MAX 262144

struct det_ann {
	struct ipfix_exporter *x;
	int n;
};

/* One IPFIX record of a deterministic range, waiting for ring space a
 * while rather than dropping it.
 */
static int det_record(int assign, const struct store_block *b, void *ctx)
{
	struct ipfix_event ie = {
		.time_ms = assign ? b->assigned_ms : b->released_ms,
		.nat_event = assign ? IPFIX_EV_PBA : IPFIX_EV_PBA_RELEASE,
		.sub_addr = b->sub_addr,
		.ext_addr = b->ext_addr,
		.port_first = b->port_first,
		.port_last = b->port_last,
		.pool_id = b->pool_id,
	};
	struct det_ann *a = ctx;

	if (a->n++ >= DET_ANNOUNCE_MAX)
		return -E2BIG;
	if (ipfix_submit(a->x, &ie) == -ENOBUFS &&
	    (ipfix_flush(a->x, 1000) || ipfix_submit(a->x, &ie)))
		return -ENOBUFS;
	return 0;
}

/* RFC 8158 has no record for a configuration: a deterministic range goes
 * out as what it is to a collector, a port block allocation (natEvent
 * 16) from the switch on, and a range a change took away as its
 * de-allocation (17). All ranges at every start, as held blocks are.
 */
void cgnatd_det_announce(struct cgnatd *d)
{
	struct det_ann a = { .x = d->ipfix };
	struct detlog_history h;
	int rc;

	if (!d->ipfix || d->ev.no_ipfix) /* an HA standby: at takeover */
		return;
	rc = detlog_history_load(d->st, &h);
	if (!rc)
		rc = detlog_announce(&h, d->cfg.instance, det_switch_ms,
				     det_record, &a);
	if (rc == -E2BIG)
		log_warnx("IPFIX: only the first %d deterministic ranges "
			  "announced at this start; the layout log holds all "
			  "(cgnatctl det-table)",
			  DET_ANNOUNCE_MAX);
	else if (rc < 0)
		log_warnx("IPFIX: deterministic ranges: %s", strerror(-rc));
	else if (rc)
		log_info("IPFIX: %d deterministic ranges announced", rc);
	detlog_history_free(&h);
}

void cgnatd_det_tick(struct cgnatd *d, int64_t now_ms)
{
	static int64_t next_ms;
	unsigned int i;

	/* The quarantine over: blocks a shrunk region held back go back to
	 * the overflow grants.
	 */
	if (det_hold_until_ms && now_ms >= det_hold_until_ms) {
		for (i = 0; i < CGNAT_MAX_POOLS; i++)
			d->dc.o.det_pools[i].hold_end = 0;
		dprun_det_reserve(&d->run, &d->dc.o);
		det_hold_until_ms = 0;
		log_info("deterministic layout: quarantine over, blocks of "
			 "the old region free for overflow");
	}
	if (now_ms < next_ms)
		return;
	/* RFC 7422 section 3: each layout once a day; checked hourly (and
	 * at start), so a row is never more than a day and an hour old
	 * however often cgnatd restarts.
	 */
	next_ms = now_ms + 3600000;
	if (detlog_daily(d->st, &d->cfg, now_ms) < 0)
		log_warnx("layout log: %s", store_errmsg(d->st));
}

static void start_dataplane(struct cgnatd *d)
{
	struct reconcile_stats rs;
	struct pb_policy pol;
	__u64 v[STAT_MAX];
	int fresh;

	/* No grant before the start's reconciliation has logged the last
	 * holding of every free block (RC_TABLE): one released while the
	 * log could not commit may have no row yet. */
	d->run.hold_grants = DPRUN_HOLD_START;
	if (dprun_start(&d->run, &d->dc.o, d->cfg.n_pools, cgnatd_event, d))
		fatalx("data plane: %s", d->run.dp.err);
	if (d->run.dp.note[0])
		log_warnx("data plane: %s", d->run.dp.note);
	if (!d->run.rf.realtime)
		log_warnx("refill thread: no real-time priority (needs "
			  "CAP_SYS_NICE); a busy CPU may delay grants");
	dpconf_policy(&pol, &d->cfg);
	dprun_set_policy(&d->run, &pol);
	fresh = d->run.dp.fresh;
	if (!dp_stats(&d->run.dp, v))
		d->evt_lost = v[STAT_EVT_LOST];
	d->reconciles++;
	if (reconcile(&d->ev, fresh ? d->started_ms : 0,
		      fresh ? "start on new maps" : "start on pinned maps",
		      RC_ANNOUNCE | RC_TABLE, &rs)) {
		log_warnx("reconcile at start failed; retrying every second, "
			  "no new port blocks granted until it succeeds");
		d->ev.need_reconcile = 1;
		d->ev.start_pending = 1;
	} else {
		d->run.hold_grants &= ~DPRUN_HOLD_START;
		dprun_refill(&d->run); /* as dprun_start would */
	}
}

void cgnatd_warn_frag(struct cgnatd *d)
{
	struct fraghold *h = &d->run.fh;

	if (!h->copy || h->copy_said)
		return;
	h->copy_said = 1;
	if (h->copy_late)
		log_warnx("fragments: a run with XDP live frames failed (%s): "
			  "from now on early fragments are run without them "
			  "and sent from userspace (AF_PACKET, raw IP)",
			  strerror(h->live_err));
	else if (h->live_err)
		log_info("fragments: the kernel refuses XDP live frames (%s): "
			 "early fragments are run without them and sent from "
			 "userspace (AF_PACKET, raw IP)",
			 strerror(h->live_err));
	else
		log_info("fragments: CGNAT_FRAG_REINJECT=copy: early "
			 "fragments are sent from userspace");
}

void cgnatd_start(struct cgnatd *d)
{
	const struct dp_opts *o = &d->dc.o;
	int64_t now;

	d->started_ms = runtime_now_ms();
	build_options(d);
	open_log(d);
	cgnatd_fleet_start(d);
	cgnatd_ipfix_start(d);
	d->ev.ipfix = d->ipfix;
	det_layouts(d);
	cgnatd_ha_init(d);
	start_dataplane(d);
	det_flush(d);
	cgnatd_det_announce(d);
	cgnatd_ha_start(d);
	d->next_cfglog_ms = runtime_now_ms() + 86400000; /* 10 s: failed */
	cgnatd_config_log(d, "start");
	cgnatd_warn_syn(d);
	cgnatd_warn_frag(d);
	runtime_pidfile(d->a.run_dir);
	d->ctl_fd = ctlsock_open(d->a.run_dir);
	if (d->ctl_fd < 0)
		log_warnx("control socket in %s: %s; cgnatctl ha cannot reach "
			  "this cgnatd",
			  d->a.run_dir, strerror(-d->ctl_fd));
	cgnatd_pcp_start(d);
	now = runtime_now_ms();
	d->next_check_ms = now + 1000;
	log_info("started: XDP (%s) on %s and %s, %u addresses in %u pools, "
		 "%u blocks of %u ports each; %s maps in %s; log %s; %u IPFIX "
		 "collectors",
		 o->xdp_generic ? "generic" : "native", o->inside, o->outside,
		 o->n_addrs, d->cfg.n_pools,
		 o->n_addrs * o->cfg.blocks_per_addr, o->cfg.block_size,
		 d->run.dp.fresh ? "new" : "reused", d->a.pin_dir,
		 d->cfg.log.database, d->cfg.ipfix.n_collectors);
}

struct open_ids {
	int64_t *id;
	size_t n, cap;
	uint32_t instance;
};

static int collect_id(const struct store_block *b, void *ctx)
{
	struct open_ids *o = ctx;
	int64_t *v;

	if (b->instance != o->instance)
		return 0;
	if (o->n == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 256;
		v = realloc(o->id, o->cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		o->id = v;
	}
	o->id[o->n++] = b->id;
	return 0;
}

/* After a detach nobody holds anything: close every open row now. */
static int close_open_rows(struct cgnatd *d)
{
	struct open_ids o = {.instance = d->cfg.instance};
	int64_t now = runtime_now_ms();
	char err[512];
	size_t i;
	int rc;

	if (store_open(d->cfg.log.database, &d->st, err, sizeof(err))) {
		log_warnx("log database %s: %s", d->cfg.log.database, err);
		return 1;
	}
	rc = store_open_blocks(d->st, collect_id, &o);
	if (rc >= 0)
		rc = store_begin(d->st);
	for (i = 0; rc >= 0 && i < o.n; i++)
		rc = store_close_block_at(d->st, o.id[i], now,
					  STORE_REL_SHUTDOWN);
	if (rc >= 0)
		rc = store_commit(d->st);
	if (rc < 0)
		log_warnx("close open rows: %s", store_errmsg(d->st));
	else
		log_info("closed %zu open log rows (shutdown)", o.n);
	free(o.id);
	store_close(d->st);
	return rc < 0;
}

int cgnatd_detach(struct cgnatd *d)
{
	int rc = lock_pins(d->a.pin_dir);

	if (rc == -EBUSY) {
		log_warnx("cgnatd runs on %s: stop it first", d->a.pin_dir);
		return 1;
	}
	rc = dp_unpin(d->a.pin_dir, 1);
	if (rc) {
		log_warnx("detach %s: %s", d->a.pin_dir, strerror(-rc));
		return 1;
	}
	log_info("detached: XDP links and maps removed from %s", d->a.pin_dir);
	return d->a.config ? close_open_rows(d) : 0;
}
