// SPDX-License-Identifier: GPL-2.0
/*
 * test_hasync.c - the HA sync protocol core (daemon/hasync.c): every
 * record round-trips byte-exact; partial and bad frames; remaining-time
 * conversion and the refresh rule; a stream fed in odd chunk sizes applies
 * each record once, in order; acks trim the queue; a connection lost
 * mid-frame resumes without gap or duplicate; a standby that restarts, an
 * active that restarts, a queue that overflowed and a bulk cut short all
 * lead to a bulk sync, and the standby is ready only after its end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "daemon/hasync.h"

/* What the standby applied, in order. */
static struct hs_rec applied[256];
static int napplied;
static int fail_at_seq; /* apply error on this seq, 0 = never */

static int apply(const struct hs_rec *r, void *ctx)
{
	(void)ctx;
	if (fail_at_seq && r->seq == (__u64)fail_at_seq)
		return -EIO;
	assert_true(napplied < 256);
	applied[napplied++] = *r;
	return 0;
}

static void reset_applied(void)
{
	napplied = 0;
	fail_at_seq = 0;
}

static struct hs_rec sess_rec(int i)
{
	struct hs_rec r = {.type = HS_SESS};

	r.sess.key.int_addr = htonl(0x64400000 + i);
	r.sess.key.rem_addr = htonl(0xc6336407);
	r.sess.key.int_port = htons(40000 + i);
	r.sess.key.rem_port = htons(443);
	r.sess.key.proto = 6;
	r.sess.ext_addr = htonl(0xcb007105);
	r.sess.ext_port = htons(1024 + i);
	r.sess.tcp_seen = CGNAT_TCP_SYN_OUT | CGNAT_TCP_SYN_IN;
	r.sess.remaining_ms = 7440000 - i;
	return r;
}

static void roundtrip(struct hs_rec r, size_t want_len)
{
	__u8 buf[HS_FRAME_MAX + 8];
	struct hs_rec d;
	size_t n;

	n = hs_encode(&r, buf);
	assert_int_equal(n, want_len);
	assert_true(n <= HS_FRAME_MAX);
	assert_int_equal(buf[0], 0x48);
	assert_int_equal(buf[1], 0x41);
	assert_int_equal(buf[2], HS_VERSION);
	assert_int_equal(buf[3], r.type);
	assert_int_equal(hs_decode(buf, n, &d), (int)n);
	assert_int_equal(d.type, r.type);
	assert_true(d.seq == r.seq);
	switch (r.type) {
	case HS_HELLO:
		assert_memory_equal(&d.hello, &r.hello, sizeof(r.hello));
		break;
	case HS_BLOCK:
		assert_int_equal(d.block.id, r.block.id);
		assert_int_equal(d.block.sub_addr, r.block.sub_addr);
		assert_int_equal(d.block.held, r.block.held);
		assert_true(d.block.assigned_tai_ns == r.block.assigned_tai_ns);
		assert_true(d.block.released_tai_ns == r.block.released_tai_ns);
		assert_int_equal(d.block.quarantine_ms, r.block.quarantine_ms);
		break;
	case HS_MAP:
		assert_int_equal(d.map.ext_addr, r.map.ext_addr);
		assert_int_equal(d.map.ext_port, r.map.ext_port);
		assert_int_equal(d.map.age_ms, r.map.age_ms);
		assert_int_equal(d.map.pcp_left_s, r.map.pcp_left_s);
		__attribute__((fallthrough));
	case HS_MAP_DEL:
		assert_int_equal(d.map.int_addr, r.map.int_addr);
		assert_int_equal(d.map.int_port, r.map.int_port);
		assert_int_equal(d.map.proto, r.map.proto);
		break;
	case HS_SESS:
		assert_int_equal(d.sess.ext_addr, r.sess.ext_addr);
		assert_int_equal(d.sess.ext_port, r.sess.ext_port);
		assert_int_equal(d.sess.tcp_seen, r.sess.tcp_seen);
		assert_int_equal(d.sess.flags, r.sess.flags);
		assert_int_equal(d.sess.remaining_ms, r.sess.remaining_ms);
		__attribute__((fallthrough));
	case HS_SESS_DEL:
		assert_memory_equal(&d.sess.key, &r.sess.key,
				    sizeof(r.sess.key));
		break;
	default:
		assert_true(d.count == r.count);
	}
	/* Every shorter prefix is "need more", never an error. */
	for (size_t k = 0; k < n; k++)
		assert_int_equal(hs_decode(buf, k, &d), 0);
}

static void test_roundtrip(void **state)
{
	struct hs_rec r;

	(void)state;
	r = (struct hs_rec){.type = HS_HELLO,
			    .hello = {0x1122334455667788ull,
				      0xdeadbeefcafef00dull, 42, HS_HF_BULK}};
	roundtrip(r, 48);
	r = (struct hs_rec){.type = HS_ACK, .ack = 1ull << 40};
	roundtrip(r, 24);
	r = (struct hs_rec){.type = HS_BULK_START, .seq = 7, .count = 1000000};
	roundtrip(r, 24);
	r = (struct hs_rec){.type = HS_BULK_END, .seq = 8, .count = 999999};
	roundtrip(r, 24);
	r = (struct hs_rec){.type = HS_BLOCK,
			    .seq = 9,
			    .block = {4095, htonl(0x64400001), 1,
				      1764900000123456789ull,
				      1764800000000000000ull, 120000}};
	roundtrip(r, 48);
	r = (struct hs_rec){.type = HS_MAP,
			    .seq = 10,
			    .map = {htonl(0x64400001), htonl(0xcb007105),
				    htons(5353), htons(61000), 17, 3600000}};
	roundtrip(r, 36);
	r.map.pcp_left_s = HS_PCP_IN | 86400; /* a PCP MAP's lifetime */
	roundtrip(r, 36);
	r.type = HS_MAP_DEL;
	roundtrip(r, 24);
	r = sess_rec(3);
	r.seq = 0xffffffffffull;
	roundtrip(r, 44);
	r.type = HS_SESS_DEL;
	roundtrip(r, 32);
	r = (struct hs_rec){.type = HS_MARK, .seq = 11,
			    .mark_ms = 1764900000123ull};
	roundtrip(r, 24);
}


static void test_bad_frames(void **state)
{
	struct hs_rec r = sess_rec(1), d;
	__u8 buf[HS_FRAME_MAX], bad[HS_FRAME_MAX];
	size_t n;

	(void)state;
	r.seq = 5;
	n = hs_encode(&r, buf);
	memcpy(bad, buf, n);
	bad[0] ^= 1; /* magic */
	assert_int_equal(hs_decode(bad, n, &d), -EPROTO);
	memcpy(bad, buf, n);
	bad[2] = HS_VERSION + 1; /* a newer peer */
	assert_int_equal(hs_decode(bad, n, &d), -EPROTO);
	memcpy(bad, buf, n);
	bad[3] = HS_TYPE_MAX; /* unknown type */
	assert_int_equal(hs_decode(bad, n, &d), -EPROTO);
	memcpy(bad, buf, n);
	bad[7]++; /* length not the type's */
	assert_int_equal(hs_decode(bad, n, &d), -EPROTO);
	/* A header alone is enough to reject, before the body comes. */
	assert_int_equal(hs_decode(bad, HS_HDR_LEN, &d), -EPROTO);
	/* A data record without a seq, a control record with one. */
	r.seq = 0;
	n = hs_encode(&r, buf);
	assert_int_equal(hs_decode(buf, n, &d), -EPROTO);
	r = (struct hs_rec){.type = HS_ACK, .seq = 3, .ack = 2};
	n = hs_encode(&r, buf);
	assert_int_equal(hs_decode(buf, n, &d), -EPROTO);
}

static void test_times(void **state)
{
	(void)state;
	assert_int_equal(hs_remaining_ms(5000000000ull, 6000000000ull), 0);
	assert_int_equal(hs_remaining_ms(6000000000ull, 6000000000ull), 0);
	/* Rounded up: the standby never expires a flow early. */
	assert_int_equal(hs_remaining_ms(6000000001ull, 6000000000ull), 1);
	assert_int_equal(hs_remaining_ms(6300000000ull, 6000000000ull), 300);
	assert_int_equal(hs_remaining_ms(~0ull, 0), 0xffffffffu);
	/* Another clock on the other box: only the difference crosses. */
	assert_true(hs_expires_ns(300, 123000000000ull) == 123300000000ull);

	/* Refresh: sent at t=0 with 300 s left (timeout 300 s). */
	assert_false(hs_refresh_due(300000, 0, 300000, 50000, 300000));
	assert_false(hs_refresh_due(300000, 0, 300000, 75000, 300000));
	assert_true(hs_refresh_due(300000, 0, 300000, 75001, 300000));
	/* Shortened (a FIN moved it to the 4 min timer... or less): now. */
	assert_true(hs_refresh_due(300000, 0, 240000, 1000, 300000));
	/* An idle flow draws no refresh at all. */
	assert_false(hs_refresh_due(300000, 0, 100000, 200000, 300000));
}

/* Moves every pending byte of t into rx in chunks of 'chunk' bytes,
 * keeping partial frames as a socket reader would; returns the rx result.
 */
static int pump(struct hs_tx *t, struct hs_rx *rx, size_t chunk, size_t limit)
{
	static __u8 carry[4096];
	static size_t ncarry;
	size_t len, n;
	const __u8 *p;
	int used;

	if (chunk == 0) { /* connection reset: partial bytes lost */
		ncarry = 0;
		return 0;
	}
	p = hs_tx_pending(t, &len);
	if (len > limit)
		len = limit;
	while (len) {
		n = len < chunk ? len : chunk;
		memcpy(carry + ncarry, p, n);
		ncarry += n;
		hs_tx_wrote(t, n);
		p += n;
		len -= n;
		used = hs_rx_feed(rx, carry, ncarry, apply, NULL);
		if (used < 0)
			return used;
		memmove(carry, carry + used, ncarry - used);
		ncarry -= used;
	}
	return 0;
}

/* Connects: the standby's HELLO to the active, the active's back. */
static enum hs_mode connect_pair(struct hs_tx *t, struct hs_rx *rx, __u64 count)
{
	struct hs_rec hi, ho;
	__u8 buf[HS_FRAME_MAX];
	size_t n;
	enum hs_mode m;

	pump(t, rx, 0, 0);
	hs_rx_disconnect(rx);
	hs_rx_hello(rx, 2, &hi);
	n = hs_encode(&hi, buf);
	assert_int_equal(hs_decode(buf, n, &hi), (int)n);
	m = hs_tx_accept(t, &hi.hello, count, &ho);
	n = hs_encode(&ho, buf);
	assert_int_equal(hs_rx_feed(rx, buf, n, apply, NULL), (int)n);
	return m;
}

static void push_sess(struct hs_tx *t, int from, int to)
{
	for (int i = from; i < to; i++) {
		struct hs_rec r = sess_rec(i);

		assert_int_equal(hs_tx_push(t, &r), 0);
	}
}

static void test_stream(void **state)
{
	struct hs_tx t;
	struct hs_rx rx;
	struct hs_rec end = {.type = HS_BULK_END, .count = 20};
	size_t len;

	(void)state;
	reset_applied();
	assert_int_equal(hs_tx_init(&t, 4096, 1, 0xabc), 0);
	hs_rx_init(&rx);
	assert_int_equal(connect_pair(&t, &rx, 20), HS_BULK);
	push_sess(&t, 0, 20);
	assert_int_equal(hs_tx_push(&t, &end), 0);
	assert_false(rx.ready);
	assert_int_equal(pump(&t, &rx, 7, ~0ul), 0); /* odd chunks */
	assert_true(rx.ready);
	assert_int_equal(rx.bulk_done, 20);
	assert_int_equal(rx.bulk_total, 20);
	assert_int_equal(napplied, 22);
	assert_int_equal(applied[0].type, HS_BULK_START);
	for (int i = 0; i < 20; i++) {
		struct hs_rec w = sess_rec(i);

		assert_int_equal(applied[i + 1].type, HS_SESS);
		assert_true(applied[i + 1].seq == (__u64)i + 2);
		assert_memory_equal(&applied[i + 1].sess, &w.sess,
				    sizeof(w.sess));
	}
	assert_int_equal(applied[21].type, HS_BULK_END);
	assert_true(rx.last_seq == 22);

	/* Acks trim; the lag is what is sent but unacked. */
	assert_int_equal(hs_tx_lag(&t), 22);
	assert_int_equal(hs_tx_ack(&t, 10), 0);
	assert_int_equal(hs_tx_lag(&t), 12);
	assert_int_equal(hs_tx_ack(&t, 9), 0); /* stale: ignored */
	assert_int_equal(hs_tx_lag(&t), 12);
	assert_int_equal(hs_tx_ack(&t, 23), -EPROTO); /* never sent */
	assert_int_equal(hs_tx_ack(&t, rx.last_seq), 0);
	assert_int_equal(hs_tx_lag(&t), 0);
	assert_int_equal(t.len, 0);
	hs_tx_pending(&t, &len);
	assert_int_equal(len, 0);
	hs_tx_free(&t);
}

/* A MARK is sequenced and acked like data, says how far the stream
 * covers the active's events, and is no entry of a bulk sync.
 */
static void test_mark(void **state)
{
	struct hs_tx t;
	struct hs_rx rx;
	struct hs_rec end = {.type = HS_BULK_END, .count = 3};
	struct hs_rec m = {.type = HS_MARK, .mark_ms = 1000};

	(void)state;
	reset_applied();
	assert_int_equal(hs_tx_init(&t, 4096, 1, 0xabc), 0);
	hs_rx_init(&rx);
	assert_int_equal(connect_pair(&t, &rx, 3), HS_BULK);
	push_sess(&t, 0, 2);
	assert_int_equal(hs_tx_push(&t, &m), 0);
	push_sess(&t, 2, 3);
	assert_int_equal(hs_tx_push(&t, &end), 0);
	m.mark_ms = 2000;
	assert_int_equal(hs_tx_push(&t, &m), 0);
	assert_int_equal(pump(&t, &rx, 5, ~0ul), 0);
	assert_true(rx.ready);
	assert_int_equal(rx.bulk_done, 3);
	assert_true(rx.mark_ms == 2000);
	assert_int_equal(applied[3].type, HS_MARK);
	assert_true(rx.last_seq == 7);
	assert_int_equal(hs_tx_ack(&t, rx.last_seq), 0);
	assert_int_equal(hs_tx_lag(&t), 0);
	hs_tx_free(&t);
}

static void test_resume_mid_frame(void **state)
{
	struct hs_tx t;
	struct hs_rx rx;
	struct hs_rec end = {.type = HS_BULK_END};

	(void)state;
	reset_applied();
	assert_int_equal(hs_tx_init(&t, 4096, 1, 0xabc), 0);
	hs_rx_init(&rx);
	connect_pair(&t, &rx, 0);
	assert_int_equal(hs_tx_push(&t, &end), 0);
	push_sess(&t, 0, 10); /* seq 3..12 */
	/* The connection dies 5 bytes into the 7th session frame. */
	assert_int_equal(pump(&t, &rx, 3, 24 + 24 + 6 * 44 + 5), 0);
	assert_true(rx.last_seq == 8);
	hs_tx_ack(&t, 4); /* an ack got through */
	push_sess(&t, 10, 12); /* seq 13..14 */
	napplied = 0;
	assert_int_equal(connect_pair(&t, &rx, 0), HS_RESUME);
	assert_true(rx.ready); /* still ready */
	assert_int_equal(pump(&t, &rx, 5, ~0ul), 0);
	/* 9..14, each once, in order. */
	assert_int_equal(napplied, 6);
	for (int i = 0; i < 6; i++) {
		struct hs_rec w = sess_rec(i + 6);

		assert_true(applied[i].seq == (__u64)i + 9);
		assert_memory_equal(&applied[i].sess, &w.sess, sizeof(w.sess));
	}
	assert_true(hs_tx_lag(&t) == 14 - 8); /* acked 8 in the HELLO */
	hs_tx_free(&t);
}

static void test_standby_restarts(void **state)
{
	struct hs_tx t;
	struct hs_rx rx;
	struct hs_rec end = {.type = HS_BULK_END};

	(void)state;
	reset_applied();
	assert_int_equal(hs_tx_init(&t, 4096, 1, 0xabc), 0);
	hs_rx_init(&rx);
	connect_pair(&t, &rx, 0);
	hs_tx_push(&t, &end);
	push_sess(&t, 0, 5);
	pump(&t, &rx, 64, ~0ul);
	assert_true(rx.ready);
	/* The standby restarts: its stream is gone, the active's is not. */
	hs_rx_init(&rx);
	napplied = 0;
	assert_int_equal(connect_pair(&t, &rx, 5), HS_BULK);
	assert_false(rx.ready);
	push_sess(&t, 0, 5);
	/* Cut short mid-bulk: the next connection bulk-syncs again. */
	pump(&t, &rx, 64, 24 + 2 * 44);
	assert_true(rx.in_bulk);
	assert_int_equal(rx.bulk_done, 2);
	assert_int_equal(connect_pair(&t, &rx, 5), HS_BULK);
	push_sess(&t, 0, 5);
	hs_tx_push(&t, &end);
	napplied = 0;
	pump(&t, &rx, 64, ~0ul);
	assert_true(rx.ready);
	assert_int_equal(napplied, 7);
	assert_int_equal(applied[0].type, HS_BULK_START);
	assert_int_equal(applied[6].type, HS_BULK_END);
	hs_tx_free(&t);
}

static void test_active_restarts_and_overflow(void **state)
{
	struct hs_tx t, t2;
	struct hs_rx rx;
	struct hs_rec end = {.type = HS_BULK_END};
	int i, err = 0;

	(void)state;
	reset_applied();
	assert_int_equal(hs_tx_init(&t, 4096, 1, 0xabc), 0);
	hs_rx_init(&rx);
	connect_pair(&t, &rx, 0);
	hs_tx_push(&t, &end);
	push_sess(&t, 0, 3);
	pump(&t, &rx, 64, ~0ul);
	/* A new active run (new epoch), seq from 1 again: bulk. */
	assert_int_equal(hs_tx_init(&t2, 4096, 1, 0xdef), 0);
	assert_int_equal(connect_pair(&t2, &rx, 0), HS_BULK);
	assert_false(rx.ready);
	assert_true(rx.epoch == 0xdef);
	hs_tx_free(&t2);

	/* Overflow: the queue is dropped, the next connection is a bulk. */
	assert_int_equal(connect_pair(&t, &rx, 0), HS_BULK);
	hs_tx_push(&t, &end);
	pump(&t, &rx, 64, ~0ul);
	for (i = 0; i < 200 && !err; i++) {
		struct hs_rec r = sess_rec(i);

		err = hs_tx_push(&t, &r);
	}
	assert_int_equal(err, -ENOBUFS);
	assert_true(t.lost);
	assert_int_equal(hs_tx_room(&t), 4096 / HS_FRAME_MAX);
	assert_int_equal(connect_pair(&t, &rx, 0), HS_BULK);
	assert_false(t.lost);
	hs_tx_free(&t);
}

static void test_protocol_errors(void **state)
{
	struct hs_tx t;
	struct hs_rx rx;
	struct hs_rec r = sess_rec(0), hello;
	__u8 buf[2 * HS_FRAME_MAX];
	size_t n;

	(void)state;
	reset_applied();
	hs_rx_init(&rx);
	/* Data before a HELLO. */
	r.seq = 1;
	n = hs_encode(&r, buf);
	assert_int_equal(hs_rx_feed(&rx, buf, n, apply, NULL), -EPROTO);
	/* A resume of a stream the standby does not have. */
	hello = (struct hs_rec){.type = HS_HELLO, .hello = {1, 0xabc, 5, 0}};
	n = hs_encode(&hello, buf);
	assert_int_equal(hs_rx_feed(&rx, buf, n, apply, NULL), -EPROTO);
	/* A gap in the sequence. */
	hello.hello.flags = HS_HF_BULK;
	n = hs_encode(&hello, buf);
	r = (struct hs_rec){.type = HS_BULK_START, .seq = 5};
	n += hs_encode(&r, buf + n);
	assert_int_equal(hs_rx_feed(&rx, buf, n, apply, NULL), (int)n);
	r = sess_rec(0);
	r.seq = 7;
	n = hs_encode(&r, buf);
	assert_int_equal(hs_rx_feed(&rx, buf, n, apply, NULL), -EPROTO);
	/* BULK_END without a start would make a standby ready wrongly. */
	hs_rx_init(&rx);
	hello.hello.seq = 1;
	n = hs_encode(&hello, buf);
	assert_int_equal(hs_rx_feed(&rx, buf, n, apply, NULL), (int)n);
	r = (struct hs_rec){.type = HS_BULK_END, .seq = 1};
	n = hs_encode(&r, buf);
	assert_int_equal(hs_rx_feed(&rx, buf, n, apply, NULL), -EPROTO);
	assert_false(rx.ready);

	/* An apply error stops at the record before it, acked up to it. */
	reset_applied();
	assert_int_equal(hs_tx_init(&t, 4096, 1, 0xabc), 0);
	hs_rx_init(&rx);
	connect_pair(&t, &rx, 0); /* BULK_START = 1 */
	push_sess(&t, 0, 4); /* 2..5 */
	fail_at_seq = 4;
	assert_int_equal(pump(&t, &rx, 64, ~0ul), -EIO);
	assert_true(rx.last_seq == 3);
	hs_tx_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_bad_frames),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_mark),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_resume_mid_frame),
		cmocka_unit_test(test_standby_restarts),
		cmocka_unit_test(test_active_restarts_and_overflow),
		cmocka_unit_test(test_protocol_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
