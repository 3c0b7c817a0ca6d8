// SPDX-License-Identifier: GPL-2.0
/*
 * synpend.c - see synpend.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <bpf/bpf.h>

#include "bpf/clock.h"
#include "daemon/synpend.h"


static int raw_open(const char *ifname)
{
	int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			IPPROTO_RAW);	/* IP_HDRINCL implied, send only */

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
		       strlen(ifname) + 1)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int sp_open(struct synpend *sp, int map_fd, const char *outside)
{
	memset(sp, 0, sizeof(*sp));
	sp->map_fd = map_fd;
	sp->sock = -1;
	sp->keys = calloc(SP_BATCH, sizeof(*sp->keys));
	sp->vals = calloc(SP_BATCH, sizeof(*sp->vals));
	if (!sp->keys || !sp->vals) {
		sp_close(sp);
		return -ENOMEM;
	}
	if (outside) {
		sp->sock = raw_open(outside);
		if (sp->sock < 0) {
			sp->sock_err = -sp->sock;
			sp->sock = -1;
		}
	}
	return 0;
}

void sp_close(struct synpend *sp)
{
	if (sp->sock >= 0)
		close(sp->sock);
	sp->sock = -1;
	free(sp->keys);
	free(sp->vals);
	sp->keys = NULL;
	sp->vals = NULL;
}

static int sp_send(struct synpend *sp, const struct cgnat_syn *s)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	__u8 b[SP_ICMP_MAX];
	int n = sp_build(b, sizeof(b), s);

	if (n < 0 || sp->sock < 0)
		return -1;
	memcpy(&to.sin_addr, b + 16, 4);
	return sendto(sp->sock, b, n, 0, (struct sockaddr *)&to,
		      sizeof(to)) == n ? 0 : -1;
}

/* Takes entry k if it is due (or to be dropped) and acts on it. The value
 * judged is the one deleted, so an entry the data plane replaced since
 * the batch read (cleared by a simultaneous open, then a new SYN held)
 * is judged afresh: not due, it goes back. The data plane cannot clear
 * it in that short gap, which we accept: it needs the same connection
 * to open from both sides twice within microseconds.
 */
static void sp_take(struct synpend *sp, const struct cgnat_syn_key *k,
		    const struct cgnat_syn *seen, __u64 now)
{
	struct cgnat_syn v;
	enum sp_verdict vd = sp_judge(seen, now, sp->on);

	if (vd == SP_WAIT ||
	    bpf_map_lookup_and_delete_elem(sp->map_fd, k, &v))
		return;	/* not due, or the data plane took it first */
	vd = sp_judge(&v, now, sp->on);
	if (vd == SP_WAIT) {
		bpf_map_update_elem(sp->map_fd, k, &v, BPF_NOEXIST);
		return;
	}
	if (vd == SP_SEND && !sp_send(sp, &v))
		sp->sent++;
	else
		sp->dropped++;
}

void sp_scan(struct synpend *sp)
{
	__u32 token, n, i;
	void *in = NULL;
	__u64 now;
	int rc;

	do {
		n = SP_BATCH;
		rc = bpf_map_lookup_batch(sp->map_fd, in, &token, sp->keys,
					  sp->vals, &n, NULL);
		if (rc && rc != -ENOENT)
			return;	/* next scan starts over */
		/* After the read: see sp_judge. */
		now = cgnat_clock_ns(CLOCK_MONOTONIC);
		for (i = 0; i < n; i++)
			sp_take(sp, &sp->keys[i], &sp->vals[i], now);
		in = &token;
	} while (!rc);
}

void sp_set(struct synpend *sp, int on)
{
	int was = sp->on;

	sp->on = on;
	if (was && !on)
		sp_scan(sp);
}

void sp_run(struct synpend *sp, __u64 now_ms)
{
	if (now_ms < sp->next_ms)
		return;
	sp->next_ms = now_ms + SP_SCAN_MS;
	sp_scan(sp);
}
