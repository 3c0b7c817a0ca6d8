// SPDX-License-Identifier: GPL-2.0
/*
 * tcp_cps.c - TCP connections per second through the box, for the live
 * bench. The client keeps CONC non-blocking connects in flight from NSRC
 * consecutive source addresses (round robin) and counts the handshakes
 * that complete; each connection is closed at once with a RST (linger 0)
 * so that no TIME_WAIT limits the port space on either side. The server
 * accepts and closes. Each connection is a new flow for the NAT: SYN,
 * SYN-ACK, ACK and RST.
 *
 *   bench_tcp_cps serve ADDR PORT
 *   bench_tcp_cps run SRC NSRC DST PORT SECS [CONC]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONC 1024

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int serve(const char *addr, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(port)};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4096)) {
		fprintf(stderr, "listen %s:%d: %s\n", addr, port,
			strerror(errno));
		return 1;
	}
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c >= 0)
			close(c);
		else if (errno != EINTR && errno != ECONNABORTED)
			return 1;
	}
}

struct client {
	int ep;
	struct sockaddr_in dst;
	__uint32_t src; /* host order */
	int nsrc, next;
	long ok, failed;
};

/* Starts one non-blocking connect from the next source address. */
static int start(struct client *c)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	struct epoll_event ev = {.events = EPOLLOUT};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	sa.sin_addr.s_addr = htonl(c->src + c->next++ % c->nsrc);
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (connect(fd, (struct sockaddr *)&c->dst, sizeof(c->dst)) &&
	     errno != EINPROGRESS)) {
		close(fd);
		return -errno;
	}
	ev.data.fd = fd;
	if (epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev)) {
		close(fd);
		return -errno;
	}
	return 0;
}

static void finish(struct client *c, int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err)
		c->failed++;
	else
		c->ok++;
	close(fd);
}

static int run(char **argv, int argc)
{
	struct client c = {.nsrc = atoi(argv[3])};
	struct epoll_event ev[64];
	struct in_addr src;
	double secs = atof(argv[6]), t0, t;
	int conc = argc > 7 ? atoi(argv[7]) : 64, i, n;

	c.dst.sin_family = AF_INET;
	c.dst.sin_port = htons(atoi(argv[5]));
	if (inet_pton(AF_INET, argv[2], &src) != 1 ||
	    inet_pton(AF_INET, argv[4], &c.dst.sin_addr) != 1 || c.nsrc < 1 ||
	    conc < 1 || conc > MAX_CONC || secs <= 0)
		return 2;
	c.src = ntohl(src.s_addr);
	c.ep = epoll_create1(0);
	for (i = 0; i < conc; i++)
		if (start(&c))
			return 1;
	t0 = now_s();
	do {
		n = epoll_wait(c.ep, ev, 64, 100);
		for (i = 0; i < n; i++) {
			finish(&c, ev[i].data.fd);
			if (start(&c))
				c.failed++;
		}
		t = now_s();
	} while (t - t0 < secs);
	printf("{\"cps\": %.0f, \"ok\": %ld, \"failed\": %ld, \"secs\": "
	       "%.3f}\n",
	       c.ok / (t - t0), c.ok, c.failed, t - t0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "serve"))
		return serve(argv[2], atoi(argv[3]));
	if (argc >= 7 && !strcmp(argv[1], "run"))
		return run(argv, argc);
	fprintf(stderr, "usage: see the comment in tests/bench/tcp_cps.c\n");
	return 2;
}
