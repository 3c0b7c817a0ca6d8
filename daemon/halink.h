/* SPDX-License-Identifier: GPL-2.0 */
/*
 * halink.h - the HA sync channel's I/O: one TCP connection from the
 * standby to the active's dedicated sync address, nonblocking, driven
 * from the owner's poll loop. The protocol itself is hasync's; this only
 * moves its bytes: the active writes its queue and reads acks, the standby
 * reads records, applies them and writes a cumulative ack after each read.
 */
#ifndef CGNAT_HALINK_H
#define CGNAT_HALINK_H

#include "daemon/hasync.h"

struct hl_conn {
	int fd; /* -1: not connected */
	__u8 in[4096]; /* a partial frame carried to the next read */
	size_t nin;
	__u64 acked_sent; /* standby: last ack written */
	int connecting; /* standby: connect() under way */
};

/* Active: a listening socket on addr:port (port 0: any, see hl_port). */
int hl_listen(const char *addr, int port);
int hl_port(int fd);
/* Active: accepts one standby, reads its HELLO (waits up to timeout_ms),
 * answers with resume or bulk (hs_tx_accept); *mode says which. The
 * caller then pushes the bulk (HS_BULK) and pumps. 0 or -errno.
 */
int hl_accept(int lfd, struct hl_conn *c, struct hs_tx *t, __u64 bulk_hint,
	      int timeout_ms, enum hs_mode *mode);
/* Active: writes what it can of the queue, reads acks. -EPIPE when the
 * peer has gone (close, then accept again), -EPROTO for a bad frame.
 */
int hl_active_pump(struct hl_conn *c, struct hs_tx *t);

/* Standby: connects to the active (nonblocking) and sends its HELLO.
 * 0 once connected; -EINPROGRESS when timeout_ms passed first: wait for
 * POLLOUT on c->fd, then hl_connect_finish(). Else -errno (closed).
 */
int hl_connect(struct hl_conn *c, const char *addr, int port,
	       const struct hs_rx *r, __u64 node, int timeout_ms);
int hl_connect_finish(struct hl_conn *c, const struct hs_rx *r, __u64 node);
/* Standby: reads, applies through fn, acks. -EPIPE / -EPROTO / fn's error:
 * close (hl_close also tells hs_rx) and connect again.
 */
int hl_standby_pump(struct hl_conn *c, struct hs_rx *r, hs_apply_fn fn,
		    void *ctx);
void hl_close(struct hl_conn *c, struct hs_rx *r);

#endif
