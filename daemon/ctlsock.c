// SPDX-License-Identifier: GPL-2.0
/*
 * ctlsock.c - cgnatd's control socket, RUN_DIR/cgnatd.sock (mode 0600):
 * one request line per connection, one reply. Used by `cgnatctl ha ...`
 * (keepalived's notify and track scripts call those). Replies start with
 * "ok", "ready", "not ready" or "error"; `ha status` answers "key value"
 * lines. A handover's reply waits until the sync queue is drained.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/cgnatd.h"
#include "daemon/log.h"
#include "daemon/pcp.h"

int ctlsock_open(const char *run_dir)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/cgnatd.sock",
			     run_dir) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(sa.sun_path); /* ours: the pid file lock says no other runs */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(sa.sun_path, 0600) || listen(fd, 8)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

void ctlsock_reply(int fd, const char *text)
{
	size_t n = strlen(text);

	if (send(fd, text, n, MSG_NOSIGNAL) != (ssize_t)n ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) != 1)
		log_debug("control socket: reply lost");
	close(fd);
}

/* One line, waiting at most 200 ms for it (cgnatctl sends at once). */
static int read_line(int fd, char *buf, size_t len)
{
	struct pollfd pf = {.fd = fd, .events = POLLIN};
	size_t n = 0;
	ssize_t r;

	while (n + 1 < len) {
		if (poll(&pf, 1, 200) <= 0)
			return -ETIMEDOUT;
		r = recv(fd, buf + n, len - 1 - n, MSG_DONTWAIT);
		if (r <= 0)
			return -EPIPE;
		n += r;
		buf[n] = 0;
		if (strchr(buf, '\n')) {
			*strchr(buf, '\n') = 0;
			return 0;
		}
	}
	return -EMSGSIZE;
}

static void status_reply(struct cgnatd *d, int fd,
			 void (*fn)(struct cgnatd *d, FILE *f))
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f) {
		ctlsock_reply(fd, "error: out of memory");
		return;
	}
	fn(d, f);
	fclose(f);
	if (len && text[len - 1] == '\n')
		text[len - 1] = 0;
	ctlsock_reply(fd, text);
	free(text);
}

void cgnatd_ctl_accept(struct cgnatd *d)
{
	char line[128], msg[256];
	int fd, rc;

	fd = accept4(d->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (read_line(fd, line, sizeof(line))) {
		close(fd);
		return;
	}
	if (!strcmp(line, "ha active") || !strcmp(line, "ha standby")) {
		cgnatd_ha_set_role(d, line[3] == 'a' ? HA_ACTIVE : HA_STANDBY,
				   "cgnatctl", msg, sizeof(msg));
	} else if (!strcmp(line, "ha ready")) {
		cgnatd_ha_ready(d, msg, sizeof(msg));
	} else if (!strcmp(line, "ha handover")) {
		rc = cgnatd_ha_handover(d, fd, msg, sizeof(msg));
		if (rc == 1)
			return; /* replied when drained */
	} else if (!strcmp(line, "ha status")) {
		status_reply(d, fd, cgnatd_ha_status);
		return;
	} else if (!strcmp(line, "pcp list")) {
		status_reply(d, fd, cgnatd_pcp_list);
		return;
	} else {
		snprintf(msg, sizeof(msg), "error: unknown request '%.60s'",
			 line);
	}
	ctlsock_reply(fd, msg);
}
