// SPDX-License-Identifier: GPL-2.0
/*
 * reload.c - SIGHUP. The new file is loaded and compared with the running
 * configuration (cfg_reload_diff). What can change live is applied: the
 * tunables in the data plane's config map (timeouts, filtering, hairpin,
 * parity, max_blocks, per-subscriber sessions, ICMP, interfaces.mss_clamp),
 * the allocator's policy (blocks.*, thresholds.*), retention and the IPFIX
 * exporter (recreated when its part changed). What sizes or shapes the
 * pinned maps - the interfaces' names and XDP mode, subscribers, pools
 * (adding addresses included: the maps are sized by the address count),
 * port geometry, table sizes, the database, the instance - keeps its
 * running value and is named in a warning as needing a restart.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cgnatd.h"
#include "daemon/log.h"

void cgnatd_warn_syn(const struct cgnatd *d)
{
	const struct synpend *sp = &d->run.sp;

	if (d->cfg.nat.unsolicited_syn != CFG_SYN_ICMP)
		return;
	if (!d->cfg.nat.unreachable.rate)
		log_warnx("nat.unsolicited_syn: icmp with nat.unreachable.rate "
			  "0: unsolicited SYNs are dropped unanswered");
	else if (sp->sock < 0)
		log_warnx("nat.unsolicited_syn: icmp: no raw socket on %s: %s; "
			  "unsolicited SYNs are dropped unanswered",
			  d->cfg.interfaces.outside, strerror(sp->sock_err));
}

int cgnatd_apply_tunables(struct cgnatd *d)
{
	struct cgnat_cfg c = d->dc.o.cfg; /* keeps the geometry */
	__u64 udp[CGNAT_UDP_TIMER_PORTS];
	struct cgnat_flow_limit fl;
	int rc;

	dpconf_tunables(&c, &d->cfg, d->icmp_src);
	dpconf_udp_timers(udp, &d->cfg);
	dpconf_flow_limit(&fl, &d->cfg);
	if (!d->icmp_src)
		c.unreach_rate = 0; /* no address to send them from */
	rc = dprun_set_cfg(&d->run, &c, udp, &fl);
	if (rc) {
		log_warnx("data plane config: %s", d->run.dp.err);
	} else {
		d->dc.o.cfg = c;
		d->dc.o.flow_limit = fl;
		memcpy(d->dc.udp_timers, udp, sizeof(udp));
	}
	return rc;
}

static void ipfix_log(int level, const char *msg)
{
	log_msg(level, msg);
}

int cgnatd_ipfix_start(struct cgnatd *d)
{
	struct ipfix_config ic;
	int rc;

	d->ipfix = NULL;
	if (!d->cfg.ipfix.n_collectors)
		return 0;
	dpconf_ipfix(&ic, &d->cfg);
	ipfix_set_logger(ipfix_log);
	rc = ipfix_create(&ic, &d->ipfix);
	if (!rc) {
		rc = ipfix_start(d->ipfix);
		if (rc)
			ipfix_destroy(d->ipfix);
	}
	if (rc) {
		d->ipfix = NULL;
		log_warnx("ipfix exporter: %s; exporting nothing",
			  strerror(-rc));
	}
	return rc;
}

int cgnatd_config_log(struct cgnatd *d, const char *why)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (!f)
		return -errno;
	fprintf(f, "# %s\n", why);
	rc = cfg_dump(f, &d->cfg);
	if (fclose(f) || rc) {
		free(text);
		return rc ? rc : -EIO;
	}
	evlog_flush(&d->ev);
	rc = store_config_log(d->st, runtime_now_ms(), d->cfg.instance, text);
	if (rc) { /* e.g. the disk is full: housekeeping tries again */
		log_warnx("config_log: %s; retried in 10 s",
			  store_errmsg(d->st));
		d->next_cfglog_ms = runtime_now_ms() + 10000;
		d->cfglog_retry = why;
	} else {
		d->cfglog_retry = NULL;
	}
	free(text);
	return rc;
}

/* Keeps the running value of every key that needs a restart. */
static void keep_restart_keys(struct cgnat_config *n,
			      const struct cgnat_config *old)
{
	struct cfg_mss_clamp mss = n->interfaces.mss_clamp;

	n->instance = old->instance;
	n->interfaces = old->interfaces;
	n->interfaces.mss_clamp = mss; /* a tunable, live */
	n->subscribers = old->subscribers;
	n->n_pools = old->n_pools;
	memcpy(n->pools, old->pools, sizeof(n->pools));
	n->ports.first = old->ports.first;
	n->ports.last = old->ports.last;
	n->ports.block_size = old->ports.block_size;
	n->limits.sessions = old->limits.sessions;
	n->limits.subscribers = old->limits.subscribers;
	n->log = (struct cfg_log){.retention_ms = n->log.retention_ms,
				  .session_events = n->log.session_events,
				  .max_backlog = n->log.max_backlog};
	memcpy(n->log.database, old->log.database, sizeof(n->log.database));
	n->testing = old->testing;
}

/*
 * Keys whose change the pinned maps cannot follow even across a restart:
 * they size the maps, fill the address and prefix tables, or set the XDP
 * mode of the pinned links (an update keeps the mode). cgnatd refuses to
 * start on maps that disagree with them (pincheck.c); the way is a cold
 * start. Other interfaces need only a restart: it replaces the links.
 */
static int cold_key(const char *k)
{
	static const char *const cold[] = {"interfaces.xdp_mode", "subscribers",
					   "pools", "ports.range",
					   "ports.block_size"};
	size_t i;

	if (!strcmp(k, "limits.sessions") || !strcmp(k, "limits.subscribers"))
		return 1;
	for (i = 0; i < sizeof(cold) / sizeof(cold[0]); i++)
		if (!strncmp(k, cold[i], strlen(cold[i])))
			return 1;
	return 0;
}

/* Splits "a, b, c" into keys a plain restart applies and cold ones. */
static void split_cold(const char *keys, char *warm, char *cold, size_t len)
{
	char buf[1024], *tok, *save = NULL;

	warm[0] = cold[0] = 0;
	snprintf(buf, sizeof(buf), "%s", keys);
	for (tok = strtok_r(buf, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		char *o = cold_key(tok) ? cold : warm;

		snprintf(o + strlen(o), len - strlen(o), "%s%s",
			 o[0] ? ", " : "", tok);
	}
}

/* "live: a, b; restart: c" -> "a, b, c". */
static void key_list(const char *msg, char *out, size_t len)
{
	const char *live = strstr(msg, "live: ");
	const char *rest = strstr(msg, "restart: ");
	size_t n = 0;

	out[0] = 0;
	if (live) {
		n = strcspn(live + 6, ";");
		snprintf(out, len, "%.*s", (int)n, live + 6);
	}
	if (rest)
		snprintf(out + strlen(out), len - strlen(out), "%s%s",
			 out[0] ? ", " : "", rest + 9);
}

static void apply(struct cgnatd *d, const struct cgnat_config *eff)
{
	int new_ipfix = dpconf_ipfix_changed(&d->cfg, eff);
	int sess_off = d->cfg.log.session_events && !eff->log.session_events;
	struct pb_policy pol;

	d->cfg = *eff;
	cgnatd_apply_tunables(d);
	dpconf_policy(&pol, &d->cfg);
	dprun_set_policy(&d->run, &pol);
	if (new_ipfix) {
		evlog_flush(&d->ev);
		if (d->ipfix)
			ipfix_destroy(d->ipfix);
		cgnatd_ipfix_start(d);
		d->ev.ipfix = d->ipfix;
	}
	if (sess_off && !evlog_begin(&d->ev)) {
		/* No delete follows for what is open now (evlog_sess.c). */
		evlog_sess_reconcile(&d->ev, 0, runtime_now_ms());
		evlog_flush(&d->ev);
	}
	cgnatd_warn_syn(d);
}

static void warn_not_applied(const char *diff)
{
	char keys[1024], warm[1024], cold[1024];

	key_list(diff, keys, sizeof(keys));
	split_cold(keys, warm, cold, sizeof(warm));
	if (warm[0])
		log_warnx("reload: not applied, needs a restart: %s", warm);
	if (cold[0])
		log_warnx("reload: not applied, needs a cold start (cgnatd "
			  "--detach, which stops traffic, then start): %s",
			  cold);
}

void cgnatd_reload(struct cgnatd *d)
{
	struct cgnat_config *n = malloc(sizeof(*n)), *eff = malloc(sizeof(*n));
	struct cfg_errors *errs = malloc(sizeof(*errs));
	char all[1024], applied[1024], keys[1024];
	unsigned int i;

	if (!n || !eff || !errs) {
		log_warnx("reload: out of memory");
		goto out;
	}
	if (cfg_load_file_all(d->a.config, n, errs)) {
		/* Every error in file order, so one edit fixes them all;
		 * the closing line names the first found, as it always has.
		 */
		for (i = 0; errs->n > 1 && i < errs->kept; i++)
			log_warnx("reload: %s", errs->v[i].msg);
		if (errs->n > errs->kept)
			log_warnx("reload: ... and %u more",
				  errs->n - errs->kept);
		if (errs->n > 1)
			snprintf(keys, sizeof(keys), " (%u errors, all above)",
				 errs->n);
		else
			keys[0] = '\0';
		log_warnx("reload refused, running configuration kept: %s%s",
			  errs->first, keys);
		goto out;
	}
	if (n->testing.unsafe_short_timers && !d->a.allow_unsafe) {
		log_warnx("reload refused: testing.unsafe_short_timers needs "
			  "--allow-unsafe-timers");
		goto out;
	}
	cfg_reload_diff(&d->cfg, n, all, sizeof(all));
	*eff = *n;
	keep_restart_keys(eff, &d->cfg);
	cfg_reload_diff(&d->cfg, eff, applied, sizeof(applied));
	d->reload_ms = runtime_now_ms();
	if (!strcmp(all, "no changes")) {
		log_info("reload: no changes");
		goto out;
	}
	if (strcmp(applied, "no changes")) {
		apply(d, eff);
		key_list(applied, keys, sizeof(keys));
		log_info("reload: applied live: %s", keys);
		cgnatd_config_log(d, "reload");
	}
	cfg_reload_diff(eff, n, all, sizeof(all));
	if (strcmp(all, "no changes"))
		warn_not_applied(all);
out:
	free(n);
	free(eff);
	free(errs);
}
