// SPDX-License-Identifier: GPL-2.0
/*
 * test_halink.c - the sync channel over a real TCP connection on
 * 127.0.0.1 (both ends in this process, pumped in turn): a bulk sync of
 * 5000 records arrives whole and in order and acks bring the active's lag
 * to 0; the standby's connection dropped with records in flight resumes
 * right after the last one it applied (no gap, no duplicate); a restarted
 * active gets a bulk; a peer that sends garbage instead of a HELLO is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "daemon/halink.h"

#define N 5000

static __u64 seen_seq[N + 16];
static int nseen;
static __u16 seen_port[N + 16];

static int apply(const struct hs_rec *r, void *ctx)
{
	(void)ctx;
	assert_true(nseen < N + 16);
	seen_seq[nseen] = r->seq;
	seen_port[nseen++] = r->type == HS_SESS ? ntohs(r->sess.ext_port) : 0;
	return 0;
}

static void push(struct hs_tx *t, int from, int to)
{
	for (int i = from; i < to; i++) {
		struct hs_rec r = {.type = HS_SESS};

		r.sess.key.proto = 17;
		r.sess.key.int_port = htons(i);
		r.sess.ext_port = htons(i);
		r.sess.remaining_ms = 1000;
		assert_int_equal(hs_tx_push(t, &r), 0);
	}
}

/* Pumps both ends until the active has nothing unacked (or rounds). */
static void pump(struct hl_conn *a, struct hs_tx *t, struct hl_conn *s,
		 struct hs_rx *rx)
{
	for (int i = 0; i < 100000 && hs_tx_lag(t); i++) {
		assert_true(hl_active_pump(a, t) >= 0);
		assert_true(hl_standby_pump(s, rx, apply, NULL) >= 0);
	}
	assert_int_equal(hs_tx_lag(t), 0);
}

static void test_bulk_resume_restart(void **state)
{
	struct hs_tx t, t2;
	struct hs_rx rx;
	struct hl_conn a, s;
	struct hs_rec end = {.type = HS_BULK_END};
	enum hs_mode m;
	int lfd, port, i;

	(void)state;
	lfd = hl_listen("127.0.0.1", 0);
	assert_true(lfd >= 0);
	port = hl_port(lfd);
	assert_true(port > 0);
	assert_int_equal(hs_tx_init(&t, 1 << 20, 1, 0x51), 0);
	hs_rx_init(&rx);

	/* Join: bulk. */
	assert_int_equal(hl_connect(&s, "127.0.0.1", port, &rx, 2, 1000), 0);
	assert_int_equal(hl_accept(lfd, &a, &t, N, 1000, &m), 0);
	assert_int_equal(m, HS_BULK);
	push(&t, 0, N);
	hs_tx_push(&t, &end);
	pump(&a, &t, &s, &rx);
	assert_true(rx.ready);
	assert_int_equal(nseen, N + 2); /* BULK_START, N, BULK_END */
	for (i = 0; i < nseen; i++)
		assert_true(seen_seq[i] == (__u64)i + 1);

	/* Live records: 4 applied (their ack perhaps never read), 6 more in
	 * flight when the standby's connection drops unread.
	 */
	nseen = 0;
	push(&t, N, N + 4);
	while (nseen < 4) {
		assert_true(hl_active_pump(&a, &t) >= 0);
		assert_true(hl_standby_pump(&s, &rx, apply, NULL) >= 0);
	}
	push(&t, N + 4, N + 10);
	assert_true(hl_active_pump(&a, &t) >= 0);
	hl_close(&s, &rx);
	hl_close(&a, NULL);
	assert_true(hs_tx_lag(&t) >= 6);
	nseen = 0;
	assert_int_equal(hl_connect(&s, "127.0.0.1", port, &rx, 2, 1000), 0);
	assert_int_equal(hl_accept(lfd, &a, &t, N, 1000, &m), 0);
	assert_int_equal(m, HS_RESUME);
	pump(&a, &t, &s, &rx);
	assert_int_equal(nseen, 6); /* each once, in order */
	for (i = 0; i < 6; i++)
		assert_int_equal(seen_port[i], N + 4 + i);
	assert_true(rx.ready);

	/* The active restarts (a new epoch): the standby gets a bulk. */
	hl_close(&s, &rx);
	hl_close(&a, NULL);
	assert_int_equal(hs_tx_init(&t2, 1 << 20, 1, 0x52), 0);
	assert_int_equal(hl_connect(&s, "127.0.0.1", port, &rx, 2, 1000), 0);
	assert_int_equal(hl_accept(lfd, &a, &t2, 0, 1000, &m), 0);
	assert_int_equal(m, HS_BULK);
	hs_tx_push(&t2, &end);
	nseen = 0;
	pump(&a, &t2, &s, &rx);
	assert_int_equal(nseen, 2);
	assert_true(rx.ready);
	assert_true(rx.epoch == 0x52);
	hl_close(&s, &rx);
	hl_close(&a, NULL);
	hs_tx_free(&t);
	hs_tx_free(&t2);
	close(lfd);
}

static void test_garbage_refused(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct hs_tx t;
	struct hl_conn a;
	enum hs_mode m;
	int lfd, fd;

	(void)state;
	lfd = hl_listen("127.0.0.1", 0);
	assert_true(lfd >= 0);
	sa.sin_port = htons(hl_port(lfd));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(hs_tx_init(&t, 4096, 1, 1), 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, "GET / HTTP/1.0\r\n\r\n", 18), 18);
	assert_int_equal(hl_accept(lfd, &a, &t, 0, 1000, &m), -EPROTO);
	close(fd);
	/* Silence is a timeout, not a hang. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(hl_accept(lfd, &a, &t, 0, 100, &m), -ETIMEDOUT);
	close(fd);
	assert_int_equal(hl_listen("not-an-address", 0), -EINVAL);
	hs_tx_free(&t);
	close(lfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bulk_resume_restart),
		cmocka_unit_test(test_garbage_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
