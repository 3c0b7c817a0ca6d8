// SPDX-License-Identifier: GPL-2.0
/*
 * cmocka tests of the exporter's pure parts and of the encoder: every
 * template's IE list against RFC 8158 (numbers typed in from
 * RFC-CHECKLIST section 7, not taken from the model), template IDs, event
 * validation, the record fill, the rate limiter, the ring and the message
 * queue, and the messages the encoder emits (header, sequence numbers, MTU,
 * no empty sets, templates in ID order).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exporter/ipfix_enc.h"
#include "exporter/ipfix_internal.h"
#include "exporter/ipfix_model.h"

static const struct ipfix_model_opts opts_default = {
	.instance = 7, .with_instance_id = 1,
};
static const struct ipfix_model_opts opts_sess = {
	.instance = 7, .with_instance_id = 1, .session_events = 1,
};
static const struct ipfix_model_opts opts_full = {
	.instance = 7, .with_pool_id = 1, .session_events = 1,
};

/* RFC 8158 mandatory IEs per template, in the RFC's order, 0-terminated. */
static const struct {
	enum ipfix_kind kind;
	uint16_t ies[8];
	unsigned int bytes;	/* mandatory fields, RFC-CHECKLIST 7.4 */
} rfc[] = {
	{ IPFIX_K_PBA, { 323, 230, 8, 225, 361, 362 }, 21 },
	{ IPFIX_K_SESSION, { 323, 230, 8, 225, 4, 7, 227 }, 22 },
	{ IPFIX_K_ADDR_EXH, { 323, 230, 283 }, 13 },
	{ IPFIX_K_PORTS_EXH, { 323, 230, 225, 4 }, 14 },
	{ IPFIX_K_Q_SESSIONS, { 323, 230, 466, 471 }, 17 },
	{ IPFIX_K_Q_BIB, { 323, 230, 466, 472 }, 17 },
	{ IPFIX_K_Q_PER_USER, { 323, 230, 466, 473, 8 }, 21 },
	{ IPFIX_K_Q_SUBSCRIBERS, { 323, 230, 466, 474 }, 17 },
	{ IPFIX_K_Q_FRAGMENTS, { 323, 230, 466, 475, 8 }, 21 },
	{ IPFIX_K_T_POOL_HIGH, { 323, 230, 467, 283, 476 }, 21 },
	{ IPFIX_K_T_POOL_LOW, { 323, 230, 467, 283, 477 }, 21 },
	{ IPFIX_K_T_APM_HIGH, { 323, 230, 467, 478 }, 17 },
	{ IPFIX_K_T_USER_HIGH, { 323, 230, 467, 480, 8 }, 21 },
	{ IPFIX_K_T_GLOBAL_HIGH, { 323, 230, 467, 481 }, 17 },
};

static void test_template_ies(void **state)
{
	struct ipfix_ie ies[IPFIX_MAX_IES];
	unsigned int i, j, n, bytes;

	(void)state;
	assert_int_equal(sizeof(rfc) / sizeof(rfc[0]), IPFIX_K_COUNT);
	for (i = 0; i < IPFIX_K_COUNT; i++) {
		n = ipfix_kind_ies(&opts_default, rfc[i].kind, ies);
		if (rfc[i].kind == IPFIX_K_SESSION) {
			assert_int_equal(n, 0);	/* off by default */
			n = ipfix_kind_ies(&opts_sess, rfc[i].kind, ies);
		}
		for (j = 0, bytes = 0; rfc[i].ies[j]; j++) {
			assert_int_equal(ies[j].id, rfc[i].ies[j]);
			bytes += ies[j].len;
		}
		assert_int_equal(bytes, rfc[i].bytes);
		if (rfc[i].kind == IPFIX_K_SESSION) {
			/* T5's optional destinations, RFC order and sizes:
			 * logged only when session events are asked for. */
			static const uint16_t dst[] = { 12, 226, 11, 228 };
			static const uint16_t len[] = { 4, 4, 2, 2 };

			for (unsigned int d = 0; d < 4; d++, j++) {
				assert_int_equal(ies[j].id, dst[d]);
				assert_int_equal(ies[j].len, len[d]);
			}
		}
		/* natInstanceID (optional) closes every template by default. */
		assert_int_equal(n, j + 1);
		assert_int_equal(ies[j].id, 463);
		assert_int_equal(ies[j].len, 4);
	}
}

static void test_template_variants(void **state)
{
	struct ipfix_ie ies[IPFIX_MAX_IES];
	unsigned int n;

	(void)state;
	/* natPoolId only in the port block record, before natInstanceID. */
	n = ipfix_kind_ies(&opts_full, IPFIX_K_PBA, ies);
	assert_int_equal(n, 7);
	assert_int_equal(ies[6].id, 283);
	n = ipfix_kind_ies(&opts_full, IPFIX_K_ADDR_EXH, ies);
	assert_int_equal(n, 3);
	/* No destination IEs in the default templates (RFC 6888 REQ-12,
	 * 8158-G4); only the session template, on request, has them. */
	for (unsigned int k = 0; k < IPFIX_K_COUNT; k++) {
		n = ipfix_kind_ies(&opts_default, k, ies);
		if (k == IPFIX_K_SESSION)
			assert_int_equal(n, 0);
		for (unsigned int j = 0; j < n; j++) {
			assert_int_not_equal(ies[j].id, 12);
			assert_int_not_equal(ies[j].id, 226);
			assert_int_not_equal(ies[j].id, 11);
			assert_int_not_equal(ies[j].id, 228);
		}
	}
}

static void test_tids(void **state)
{
	const struct ipfix_model_opts *o[] = { &opts_default, &opts_full };
	uint16_t seen[2 * IPFIX_K_COUNT];
	unsigned int i, k, j, n = 0;

	(void)state;
	assert_int_equal(ipfix_kind_tid(&opts_default, IPFIX_K_PBA), 256);
	assert_int_equal(ipfix_kind_tid(&opts_full, IPFIX_K_PBA), 259);
	assert_int_equal(ipfix_kind_tid(&opts_default, IPFIX_K_SESSION), 260);
	assert_int_equal(ipfix_kind_tid(&opts_default, IPFIX_K_T_GLOBAL_HIGH),
			 308);
	for (i = 0; i < 2; i++)
		for (k = 0; k < IPFIX_K_COUNT; k++) {
			seen[n] = ipfix_kind_tid(o[i], k);
			assert_true(seen[n] >= 256);
			for (j = 0; j < n; j++)
				assert_int_not_equal(seen[j], seen[n]);
			n++;
		}
}

static void test_event_check(void **state)
{
	struct ipfix_event ev = { .nat_event = IPFIX_EV_PBA, .port_first = 10,
				  .port_last = 9 };
	static const uint8_t bad[] = { 0, 1, 2, 6, 8, 14, 19, 255 };
	unsigned int i;

	(void)state;
	assert_int_equal(ipfix_event_check(&opts_default, &ev), -EINVAL);
	ev.port_last = 10;
	assert_int_equal(ipfix_event_check(&opts_default, &ev), 0);
	for (i = 0; i < sizeof(bad); i++) {
		ev.nat_event = bad[i];
		assert_int_equal(ipfix_event_check(&opts_full, &ev), -EINVAL);
	}
	ev.nat_event = IPFIX_EV_SESSION_CREATE;
	assert_int_equal(ipfix_event_check(&opts_default, &ev), -EOPNOTSUPP);
	assert_int_equal(ipfix_event_check(&opts_full, &ev), 0);
	ev.nat_event = IPFIX_EV_QUOTA;
	ev.quota_event = 0;
	assert_int_equal(ipfix_event_check(&opts_default, &ev), -EINVAL);
	ev.quota_event = 6;
	assert_int_equal(ipfix_event_check(&opts_default, &ev), -EINVAL);
	ev.quota_event = 5;
	assert_int_equal(ipfix_event_check(&opts_default, &ev), 0);
	ev.nat_event = IPFIX_EV_THRESHOLD;
	ev.threshold_event = 6;
	assert_int_equal(ipfix_event_check(&opts_default, &ev), -EINVAL);
	ev.threshold_event = 1;
	assert_int_equal(ipfix_event_check(&opts_default, &ev), 0);
}

static void test_event_to_rec(void **state)
{
	struct ipfix_event ev = { .time_ms = 1700000000123ULL,
				  .nat_event = IPFIX_EV_QUOTA,
				  .quota_event = IPFIX_QUOTA_PER_USER,
				  .value = 8192, .sub_addr = 0x6440000a };
	struct ipfix_rec r;

	(void)state;
	assert_int_equal(ipfix_event_to_rec(&opts_default, &ev, &r), 280);
	assert_int_equal(r.max_per_user, 8192);
	assert_int_equal(r.max_sessions, 0);
	assert_int_equal(r.quota_event, 3);
	assert_int_equal(r.src_addr, 0x6440000a);
	assert_int_equal(r.instance_id, 7);
	assert_true(r.obs_time_ms == 1700000000123ULL);
	ev.nat_event = IPFIX_EV_THRESHOLD;
	ev.threshold_event = IPFIX_THRESH_GLOBAL_HIGH;
	ev.value = 95;
	assert_int_equal(ipfix_event_to_rec(&opts_default, &ev, &r), 308);
	assert_int_equal(r.global_high, 95);
	assert_int_equal(r.max_per_user, 0);
	ev.threshold_event = IPFIX_THRESH_USER_HIGH;
	assert_int_equal(ipfix_event_to_rec(&opts_full, &ev, &r), 305);
	assert_int_equal(r.user_high, 95);
}

/* A NAT44 session record carries both endpoints and the destination,
 * which NAT44 leaves as it is (post-NAT = pre-NAT). */
static void test_session_to_rec(void **state)
{
	struct ipfix_event ev = {
		.time_ms = 1700000000456ULL, .nat_event = IPFIX_EV_SESSION_DELETE,
		.sub_addr = 0x6440000a, .sub_port = 5000,
		.ext_addr = 0xcb007101, .ext_port = 1025, .proto = 17,
		.rem_addr = 0xc6336401, .rem_port = 53,
	};
	struct ipfix_rec r;

	(void)state;
	assert_int_equal(ipfix_event_to_rec(&opts_sess, &ev, &r), 260);
	assert_true(r.obs_time_ms == 1700000000456ULL);
	assert_int_equal(r.nat_event, 5);
	assert_int_equal(r.src_addr, 0x6440000a);
	assert_int_equal(r.src_port, 5000);
	assert_int_equal(r.post_src_addr, 0xcb007101);
	assert_int_equal(r.post_src_port, 1025);
	assert_int_equal(r.proto, 17);
	assert_int_equal(r.dst_addr, 0xc6336401);
	assert_int_equal(r.post_dst_addr, 0xc6336401);
	assert_int_equal(r.dst_port, 53);
	assert_int_equal(r.post_dst_port, 53);
	assert_int_equal(r.port_start, 0);
}

static struct ipfix_event rl_ev(uint8_t e, uint64_t t, uint32_t subj)
{
	struct ipfix_event ev = { .nat_event = e, .time_ms = t,
				  .pool_id = subj, .ext_addr = subj,
				  .sub_addr = subj, .proto = 6,
				  .quota_event = IPFIX_QUOTA_PER_USER,
				  .port_last = 1 };
	return ev;
}

static void test_ratelimit(void **state)
{
	struct ipfix_rl *rl = calloc(1, sizeof(*rl));
	struct ipfix_event ev;

	(void)state;
	rl->interval_ms = 1000;
	ev = rl_ev(IPFIX_EV_ADDR_EXHAUSTED, 5000, 1);
	assert_true(ipfix_rl_allow(rl, &ev));
	ev.time_ms = 5500;
	assert_false(ipfix_rl_allow(rl, &ev));
	ev.time_ms = 5999;
	assert_false(ipfix_rl_allow(rl, &ev));
	ev.pool_id = 2;	/* another subject */
	assert_true(ipfix_rl_allow(rl, &ev));
	ev.pool_id = 1;
	ev.time_ms = 6000;
	assert_true(ipfix_rl_allow(rl, &ev));
	ev.time_ms = 1000;	/* clock stepped back by more than 1 s */
	assert_true(ipfix_rl_allow(rl, &ev));
	/* 12 per external address and protocol. */
	ev = rl_ev(IPFIX_EV_PORTS_EXHAUSTED, 0, 9);
	assert_true(ipfix_rl_allow(rl, &ev));
	assert_false(ipfix_rl_allow(rl, &ev));
	ev.proto = 17;
	assert_true(ipfix_rl_allow(rl, &ev));
	/* 13 per quota type and, for per-user quotas, subscriber. */
	ev = rl_ev(IPFIX_EV_QUOTA, 0, 10);
	assert_true(ipfix_rl_allow(rl, &ev));
	assert_false(ipfix_rl_allow(rl, &ev));
	ev.sub_addr = 11;
	assert_true(ipfix_rl_allow(rl, &ev));
	ev.quota_event = IPFIX_QUOTA_SESSIONS;
	assert_true(ipfix_rl_allow(rl, &ev));
	ev.sub_addr = 12;	/* not per user: same subject */
	assert_false(ipfix_rl_allow(rl, &ev));
	/* Port blocks and thresholds are never limited. */
	ev = rl_ev(IPFIX_EV_PBA, 0, 1);
	assert_true(ipfix_rl_allow(rl, &ev));
	assert_true(ipfix_rl_allow(rl, &ev));
	rl->interval_ms = 0;
	ev = rl_ev(IPFIX_EV_ADDR_EXHAUSTED, 6001, 1);
	assert_true(ipfix_rl_allow(rl, &ev));
	free(rl);
}

static void test_ratelimit_many_subjects(void **state)
{
	struct ipfix_rl *rl = calloc(1, sizeof(*rl));
	struct ipfix_event ev;
	unsigned int i, passed = 0;

	(void)state;
	rl->interval_ms = 1000;
	/* 10k exhaustion events in one second over 100 pools: 100 out. */
	for (i = 0; i < 10000; i++) {
		ev = rl_ev(IPFIX_EV_ADDR_EXHAUSTED, i / 10, i % 100);
		passed += ipfix_rl_allow(rl, &ev);
	}
	assert_int_equal(passed, 100);
	free(rl);
}

static void test_ring(void **state)
{
	struct ipfix_ring r;
	struct ipfix_event ev = { 0 }, out[8];
	unsigned int i;

	(void)state;
	assert_int_equal(ipfix_ring_init(&r, 3), 0);	/* rounds to 4 */
	for (i = 0; i < 4; i++) {
		ev.time_ms = i;
		assert_int_equal(ipfix_ring_push(&r, &ev), 0);
	}
	assert_int_equal(ipfix_ring_push(&r, &ev), -ENOBUFS);
	assert_int_equal(ipfix_ring_pop(&r, out, 3), 3);
	assert_true(out[0].time_ms == 0 && out[2].time_ms == 2);
	ev.time_ms = 4;
	assert_int_equal(ipfix_ring_push(&r, &ev), 0);	/* wraps */
	assert_int_equal(ipfix_ring_pop(&r, out, 8), 2);
	assert_true(out[0].time_ms == 3 && out[1].time_ms == 4);
	assert_int_equal(ipfix_ring_count(&r), 0);
	ipfix_ring_free(&r);
}

static void test_mq(void **state)
{
	uint8_t data[16] = { 0 };
	struct ipfix_msg *d = ipfix_msg_new(data, sizeof(data), 5);
	struct ipfix_msg *t = ipfix_msg_new(data, sizeof(data), 0);
	struct ipfix_mq q;

	(void)state;
	assert_int_equal(ipfix_mq_init(&q, 2), 0);
	assert_int_equal(ipfix_mq_push(&q, d), 0);
	assert_int_equal(ipfix_mq_push(&q, d), 0);
	assert_int_equal(ipfix_mq_push(&q, d), -ENOBUFS);
	assert_int_equal(d->refs, 3);
	/* Template messages may still go in: they carry no records. */
	assert_int_equal(ipfix_mq_push(&q, t), 0);
	assert_ptr_equal(ipfix_mq_pop(&q), d);
	ipfix_msg_put(d);
	assert_int_equal(q.count, 2);
	ipfix_mq_free(&q);	/* drops the queued references */
	assert_int_equal(d->refs, 1);
	assert_int_equal(t->refs, 1);
	ipfix_msg_put(d);
	ipfix_msg_put(t);
}

/* --- encoder ------------------------------------------------------------ */

struct capture {
	unsigned int nmsg;
	uint8_t *msg[64];
	size_t len[64];
	unsigned int nrec[64];
};

static void capture_emit(void *ctx, const uint8_t *m, size_t len,
			 unsigned int nrec)
{
	struct capture *c = ctx;

	assert_true(c->nmsg < 64);
	c->msg[c->nmsg] = malloc(len);
	memcpy(c->msg[c->nmsg], m, len);
	c->len[c->nmsg] = len;
	c->nrec[c->nmsg++] = nrec;
}

static void capture_free(struct capture *c)
{
	while (c->nmsg)
		free(c->msg[--c->nmsg]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static uint16_t be16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

/* Walk the sets of a message: none empty, IDs and total length right. */
static unsigned int check_sets(const uint8_t *m, size_t len, uint16_t *ids,
			       unsigned int max)
{
	size_t off = 16;
	unsigned int n = 0;

	assert_int_equal(be16(m), 10);
	assert_int_equal(be16(m + 2), len);
	assert_true(len <= IPFIX_MTU);
	while (off < len) {
		uint16_t id = be16(m + off), slen = be16(m + off + 2);

		assert_true(slen > 4);	/* RFC 7011: at least one record */
		assert_true(id == 2 || id >= 256);
		if (n < max)
			ids[n] = id;
		n++;
		off += slen;
	}
	assert_int_equal(off, len);
	return n;
}

static struct ipfix_event pba(unsigned int i)
{
	struct ipfix_event ev = {
		.time_ms = 1700000000000ULL + i, .nat_event = IPFIX_EV_PBA,
		.sub_addr = 0x64400000 + i, .ext_addr = 0xcb007101,
		.port_first = 1024 + 256 * (i % 200),
		.port_last = 1024 + 256 * (i % 200) + 255,
	};
	return ev;
}

static void test_encoder_messages(void **state)
{
	struct capture c = { 0 };
	struct ipfix_enc *enc;
	struct ipfix_event q = { .nat_event = IPFIX_EV_QUOTA,
				 .quota_event = 1, .value = 5 };
	uint16_t ids[32];
	unsigned int i, n, total = 0, seq = 0;

	(void)state;
	assert_int_equal(ipfix_enc_create(&opts_default, 42, IPFIX_MTU,
					  capture_emit, &c, &enc), 0);
	ipfix_enc_set_export_time(enc, 1700000000);
	assert_int_equal(ipfix_encode_templates(enc), 0);
	for (i = 0; i < 300; i++) {
		struct ipfix_event e = pba(i);

		assert_int_equal(ipfix_encode_event(enc, &e), 0);
		/* Switch templates now and then: sets change mid-message. */
		if (i % 7 == 0)
			assert_int_equal(ipfix_encode_event(enc, &q), 0);
	}
	assert_int_equal(ipfix_encode_flush(enc), 0);
	assert_true(c.nmsg > 3);
	/* Message 0: templates, in ID order, sequence 0. */
	n = check_sets(c.msg[0], c.len[0], ids, 32);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], 2);
	assert_int_equal(c.nrec[0], 0);
	for (i = 0; i < c.nmsg; i++) {
		assert_int_equal(be32(c.msg[i] + 4), 1700000000);
		assert_int_equal(be32(c.msg[i] + 8), seq);
		assert_int_equal(be32(c.msg[i] + 12), 42);
		check_sets(c.msg[i], c.len[i], ids, 32);
		seq += c.nrec[i];
		total += c.nrec[i];
	}
	assert_int_equal(total, 300 + 43);
	assert_int_equal(ipfix_enc_sequence(enc), total);
	capture_free(&c);
	ipfix_enc_destroy(enc);
}

static void test_encoder_template_order(void **state)
{
	struct capture c = { 0 };
	struct ipfix_enc *enc;
	const uint8_t *m;
	size_t off = 20;
	uint16_t prev = 0, tid;
	unsigned int n = 0;

	(void)state;
	assert_int_equal(ipfix_enc_create(&opts_full, 1, IPFIX_MTU,
					  capture_emit, &c, &enc), 0);
	assert_int_equal(ipfix_encode_templates(enc), 0);
	assert_int_equal(c.nmsg, 1);
	m = c.msg[0];
	while (off < c.len[0]) {
		tid = be16(m + off);
		assert_true(tid > prev);
		prev = tid;
		off += 4 + 4 * be16(m + off + 2);
		n++;
	}
	assert_int_equal(n, IPFIX_K_COUNT);	/* session templates included */
	capture_free(&c);
	ipfix_enc_destroy(enc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_template_ies),
		cmocka_unit_test(test_template_variants),
		cmocka_unit_test(test_tids),
		cmocka_unit_test(test_event_check),
		cmocka_unit_test(test_event_to_rec),
		cmocka_unit_test(test_session_to_rec),
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test(test_ratelimit_many_subjects),
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_mq),
		cmocka_unit_test(test_encoder_messages),
		cmocka_unit_test(test_encoder_template_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
