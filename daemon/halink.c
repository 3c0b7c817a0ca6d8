// SPDX-License-Identifier: GPL-2.0
/*
 * halink.c - see halink.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "daemon/halink.h"

static int hl_addr(const char *addr, int port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	return inet_pton(AF_INET, addr, &sa->sin_addr) == 1 ? 0 : -EINVAL;
}

/* Records are small and the lag matters more than packet count. */
static void hl_tune(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

int hl_listen(const char *addr, int port)
{
	struct sockaddr_in sa;
	int fd, one = 1;

	if (hl_addr(addr, port, &sa))
		return -EINVAL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int hl_port(int fd)
{
	struct sockaddr_in sa;
	socklen_t l = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &l))
		return -errno;
	return ntohs(sa.sin_port);
}

/* Writes all of buf on a nonblocking socket, waiting for room (a HELLO,
 * an ack: a few bytes, so this does not stall the loop).
 */
static int hl_write_all(int fd, const void *buf, size_t len)
{
	const __u8 *p = buf;
	struct pollfd pf = {.fd = fd, .events = POLLOUT};
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			if (poll(&pf, 1, 1000) <= 0)
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0)
			return errno == EPIPE || errno == ECONNRESET ? -EPIPE
								     : -errno;
		p += n;
		len -= n;
	}
	return 0;
}

static int hl_send_rec(int fd, const struct hs_rec *r)
{
	__u8 buf[HS_FRAME_MAX];

	return hl_write_all(fd, buf, hs_encode(r, buf));
}

/* Reads what is there into c->in. 1 if something came, 0 if nothing, or
 * -EPIPE once the peer closed.
 */
static int hl_read(struct hl_conn *c)
{
	ssize_t n = recv(c->fd, c->in + c->nin, sizeof(c->in) - c->nin, 0);

	if (n > 0) {
		c->nin += n;
		return 1;
	}
	if (n < 0 && errno == EAGAIN)
		return 0;
	return -EPIPE;
}

static void hl_eat(struct hl_conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->nin - n);
	c->nin -= n;
}

int hl_accept(int lfd, struct hl_conn *c, struct hs_tx *t, __u64 bulk_hint,
	      int timeout_ms, enum hs_mode *mode)
{
	struct pollfd pf = {.events = POLLIN};
	struct hs_rec peer, out;
	int n, rc;

	memset(c, 0, sizeof(*c));
	c->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c->fd < 0)
		return -errno;
	hl_tune(c->fd);
	pf.fd = c->fd;
	for (;;) {
		n = hs_decode(c->in, c->nin, &peer);
		if (n < 0 || (n > 0 && peer.type != HS_HELLO)) {
			rc = -EPROTO;
			goto fail;
		}
		if (n > 0)
			break;
		if (poll(&pf, 1, timeout_ms) <= 0) {
			rc = -ETIMEDOUT;
			goto fail;
		}
		if ((rc = hl_read(c)) < 0)
			goto fail;
	}
	hl_eat(c, n);
	*mode = hs_tx_accept(t, &peer.hello, bulk_hint, &out);
	rc = hl_send_rec(c->fd, &out);
	if (!rc)
		return 0;
fail:
	close(c->fd);
	c->fd = -1;
	return rc;
}

int hl_active_pump(struct hl_conn *c, struct hs_tx *t)
{
	struct hs_rec r;
	const void *p;
	size_t len;
	ssize_t w;
	int n, rc;

	p = hs_tx_pending(t, &len);
	if (len) {
		w = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno != EAGAIN)
			return -EPIPE;
		if (w > 0)
			hs_tx_wrote(t, w);
	}
	while ((rc = hl_read(c)) > 0) {
		while ((n = hs_decode(c->in, c->nin, &r)) > 0) {
			if (r.type != HS_ACK || hs_tx_ack(t, r.ack))
				return -EPROTO;
			hl_eat(c, n);
		}
		if (n < 0)
			return -EPROTO;
	}
	return rc;
}

int hl_connect(struct hl_conn *c, const char *addr, int port,
	       const struct hs_rx *r, __u64 node, int timeout_ms)
{
	struct sockaddr_in sa;
	struct pollfd pf;
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (hl_addr(addr, port, &sa))
		return -EINVAL;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return -errno;
	hl_tune(c->fd);
	c->connecting = 1;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    errno != EINPROGRESS) {
		rc = -errno;
		hl_close(c, NULL);
		return rc;
	}
	pf = (struct pollfd){.fd = c->fd, .events = POLLOUT};
	if (poll(&pf, 1, timeout_ms) <= 0)
		return -EINPROGRESS;
	return hl_connect_finish(c, r, node);
}

int hl_connect_finish(struct hl_conn *c, const struct hs_rx *r, __u64 node)
{
	struct hs_rec h;
	socklen_t l = sizeof(int);
	int err = 0;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l) || err) {
		hl_close(c, NULL);
		return err ? -err : -errno;
	}
	c->connecting = 0;
	hs_rx_hello(r, node, &h);
	c->acked_sent = r->last_seq;
	return hl_send_rec(c->fd, &h);
}

int hl_standby_pump(struct hl_conn *c, struct hs_rx *r, hs_apply_fn fn,
		    void *ctx)
{
	struct hs_rec ack = {.type = HS_ACK};
	int rc, used;

	while ((rc = hl_read(c)) > 0) {
		used = hs_rx_feed(r, c->in, c->nin, fn, ctx);
		if (used < 0)
			return used;
		hl_eat(c, used);
	}
	/* One cumulative ack per pump, whatever it applied. */
	if (r->last_seq != c->acked_sent && r->expect_seq) {
		ack.ack = r->last_seq;
		if (hl_send_rec(c->fd, &ack))
			return -EPIPE;
		c->acked_sent = r->last_seq;
	}
	return rc;
}

void hl_close(struct hl_conn *c, struct hs_rx *r)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->nin = 0;
	c->connecting = 0;
	if (r)
		hs_rx_disconnect(r);
}
