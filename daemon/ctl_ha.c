// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_ha.c - `cgnatctl ha active|standby|ready|handover|status`, through
 * cgnatd's control socket (ctlsock.c), and the HA lines of status and
 * metrics. keepalived's notify scripts call active/standby, its track
 * script calls ready (docs/ha.md).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/ctl.h"

int ctl_ha_request(const char *run_dir, const char *req, char *buf,
		   size_t len, int timeout_ms)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct pollfd pf = {.events = POLLIN};
	size_t n = 0;
	ssize_t r;
	int fd, rc = 0;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/cgnatd.sock", run_dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    dprintf(fd, "%s\n", req) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	pf.fd = fd;
	while (n + 1 < len) {
		if (poll(&pf, 1, timeout_ms) <= 0) {
			rc = -ETIMEDOUT;
			break;
		}
		r = read(fd, buf + n, len - 1 - n);
		if (r <= 0)
			break;
		n += r;
	}
	close(fd);
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return rc ? rc : n ? 0 : -EPIPE;
}

/* The value of "key value" in a status reply, or NULL. */
static const char *kv(const char *text, const char *key, char *val,
		      size_t len)
{
	size_t k = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, k) && p[k] == ' ') {
			const char *e = strchr(p + k + 1, '\n');
			size_t l = e ? (size_t)(e - p - k - 1) : strlen(p + k + 1);

			snprintf(val, len, "%.*s", (int)l, p + k + 1);
			return val;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return NULL;
}

static long long kvn(const char *text, const char *key)
{
	char v[64];

	return kv(text, key, v, sizeof(v)) ? atoll(v) : 0;
}

/* Without a cgnatd, the role waits in the run dir for the next start. */
static int role_offline(struct ctl *c, const char *role)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/ha.role", c->run_dir);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%s\n", role) < 0 || fclose(f)) {
		ctl_err("cgnatd does not run and %s cannot be written", path);
		return 2;
	}
	printf("cgnatd does not run: it starts as %s\n", role);
	return 0;
}

const char *const ctl_ha_subs[] = {"active", "standby", "ready",
				   "handover", "status", NULL};

int cmd_ha(struct ctl *c)
{
	char req[64], buf[4096];
	const char *sub = c->argc > 1 ? c->argv[1] : "";
	int rc, wait = 2000, i;

	for (i = 0; ctl_ha_subs[i] && strcmp(sub, ctl_ha_subs[i]); i++)
		;
	if (!ctl_ha_subs[i]) {
		ctl_err("usage: cgnatctl ha active|standby|ready|handover|status");
		return 2;
	}
	if (!strcmp(sub, "handover"))
		wait = 15000; /* cgnatd gives up after 10 s */
	snprintf(req, sizeof(req), "ha %s", sub);
	rc = ctl_ha_request(c->run_dir, req, buf, sizeof(buf), wait);
	if (rc) {
		if (!strcmp(sub, "active") || !strcmp(sub, "standby"))
			return role_offline(c, sub);
		if (!strcmp(sub, "ready")) {
			printf("not ready: cgnatd does not answer (%s)\n",
			       strerror(-rc));
			return 1;
		}
		ctl_err("cgnatd does not answer on %s/cgnatd.sock: %s",
			c->run_dir, strerror(-rc));
		return 2;
	}
	printf("%s\n", buf);
	if (!strcmp(sub, "ready"))
		return strncmp(buf, "ready", 5) ? 1 : 0;
	return strncmp(buf, "error", 5) ? 0 : 2;
}

void ctl_ha_text(struct ctl *c)
{
	char buf[4096], v[128];
	const char *role;

	if (ctl_ha_request(c->run_dir, "ha status", buf, sizeof(buf), 1000) ||
	    !kvn(buf, "ha_enabled"))
		return;
	role = kv(buf, "ha_role", v, sizeof(v)) ? v : "?";
	printf("ha:           %s, peer %s %s", role,
	       kv(buf, "ha_peer", (char[64]){0}, 64),
	       kvn(buf, "ha_connected") ? "connected" : "NOT CONNECTED");
	if (!strcmp(role, "active"))
		printf(", %lld records unacknowledged (%lld ms)",
		       kvn(buf, "ha_lag_records"), kvn(buf, "ha_lag_ms"));
	else
		printf(", synced up to %lld ms ago%s",
		       kvn(buf, "ha_lag_ms"),
		       kvn(buf, "ha_bulk_receiving") ? ", bulk sync running"
						     : "");
	printf("; %s\n", kv(buf, "ha_ready_why", v, sizeof(v)) ? v : "");
	if (kvn(buf, "ha_bulk_receiving"))
		printf("              bulk sync %lld of %lld entries\n",
		       kvn(buf, "ha_bulk_done"), kvn(buf, "ha_bulk_total"));
}

/* Prometheus: every numeric ha_* line, as gauges named cgnatd_ha_*. */
void ctl_ha_metrics(struct ctl *c,
		    void (*gauge)(const char *name, const char *text,
				  unsigned long long v))
{
	static const struct {
		const char *key, *text;
	} g[] = {
		{"ha_connected", "1 while the sync connection is up"},
		{"ha_ready", "1 while this box may be elected active"},
		{"ha_lag_records", "active: records the standby has not acked"},
		{"ha_lag_ms", "sync lag in milliseconds"},
		{"ha_bulk_done", "standby: entries of the bulk sync received"},
		{"ha_bulk_total", "standby: entries the bulk sync announced"},
		{"ha_records_sent", "records queued to the standby"},
		{"ha_records_applied", "records applied from the active"},
		{"ha_apply_errors", "records that could not be applied"},
		{"ha_connects", "sync connections made"},
		{"ha_bulks_sent", "bulk syncs sent"},
		{"ha_takeovers", "takeovers by this cgnatd"},
	};
	char buf[4096], name[64];
	size_t i;

	if (ctl_ha_request(c->run_dir, "ha status", buf, sizeof(buf), 1000) ||
	    !kvn(buf, "ha_enabled"))
		return;
	gauge("cgnatd_ha_active", "1 while this box is the active one",
	      strstr(buf, "ha_role active") != NULL);
	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		if (!strstr(buf, g[i].key))
			continue;
		if (kvn(buf, g[i].key) < 0)
			continue; /* lag of a standby never synced */
		snprintf(name, sizeof(name), "cgnatd_%s", g[i].key);
		gauge(name, g[i].text, (unsigned long long)kvn(buf, g[i].key));
	}
}
