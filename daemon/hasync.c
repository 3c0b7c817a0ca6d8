// SPDX-License-Identifier: GPL-2.0
/*
 * hasync.c - see hasync.h. Wire format, all integers big-endian:
 * header (16 bytes): magic u16, version u8, type u8, length u32 (whole
 * frame), seq u64; then a body of a fixed size per type (hs_body_len).
 * Addresses and ports are copied as they are (already network order).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/hasync.h"

static const __u8 hs_body_len[HS_TYPE_MAX] = {
	[HS_HELLO] = 32,   [HS_ACK] = 8,    [HS_BULK_START] = 8,
	[HS_BULK_END] = 8, [HS_BLOCK] = 32, [HS_MAP] = 20,
	[HS_MAP_DEL] = 8,  [HS_SESS] = 28,  [HS_SESS_DEL] = 16,
	[HS_MARK] = 8,
};

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}
static void put32(__u8 *p, __u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}
static void put64(__u8 *p, __u64 v)
{
	put32(p, v >> 32);
	put32(p + 4, v);
}
static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}
static __u32 get32(const __u8 *p)
{
	return (__u32)get16(p) << 16 | get16(p + 2);
}
static __u64 get64(const __u8 *p)
{
	return (__u64)get32(p) << 32 | get32(p + 4);
}

static void put_key(__u8 *b, const struct cgnat_sess_key *k)
{
	memcpy(b, &k->int_addr, 4);
	memcpy(b + 4, &k->rem_addr, 4);
	memcpy(b + 8, &k->int_port, 2);
	memcpy(b + 10, &k->rem_port, 2);
	b[12] = k->proto;
	b[13] = k->kind;
}

static void get_key(const __u8 *b, struct cgnat_sess_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(&k->int_addr, b, 4);
	memcpy(&k->rem_addr, b + 4, 4);
	memcpy(&k->int_port, b + 8, 2);
	memcpy(&k->rem_port, b + 10, 2);
	k->proto = b[12];
	k->kind = b[13];
}

size_t hs_encode(const struct hs_rec *r, void *buf)
{
	__u8 *p = buf, *b = p + HS_HDR_LEN;
	size_t n = HS_HDR_LEN + hs_body_len[r->type];

	memset(p, 0, n);
	put16(p, HS_MAGIC);
	p[2] = HS_VERSION;
	p[3] = r->type;
	put32(p + 4, n);
	put64(p + 8, r->seq);
	switch (r->type) {
	case HS_HELLO:
		put64(b, r->hello.node);
		put64(b + 8, r->hello.epoch);
		put64(b + 16, r->hello.seq);
		put32(b + 24, r->hello.flags);
		break;
	case HS_ACK:
		put64(b, r->ack);
		break;
	case HS_BULK_START:
	case HS_BULK_END:
		put64(b, r->count);
		break;
	case HS_MARK:
		put64(b, r->mark_ms);
		break;
	case HS_BLOCK:
		put32(b, r->block.id);
		memcpy(b + 4, &r->block.sub_addr, 4);
		b[8] = r->block.held;
		put64(b + 12, r->block.assigned_tai_ns);
		put64(b + 20, r->block.released_tai_ns);
		put32(b + 28, r->block.quarantine_ms);
		break;
	case HS_MAP:
		memcpy(b + 4, &r->map.ext_addr, 4);
		memcpy(b + 10, &r->map.ext_port, 2);
		put32(b + 16, r->map.age_ms);
		b[13] = r->map.pcp_left_s >> 16 & 0xff;
		b[14] = r->map.pcp_left_s >> 8 & 0xff;
		b[15] = r->map.pcp_left_s & 0xff;
		/* the key, shared with MAP_DEL */
		__attribute__((fallthrough));
	case HS_MAP_DEL:
		memcpy(b, &r->map.int_addr, 4);
		memcpy(b + (r->type == HS_MAP ? 8 : 4), &r->map.int_port, 2);
		b[r->type == HS_MAP ? 12 : 6] = r->map.proto;
		break;
	case HS_SESS:
		memcpy(b + 16, &r->sess.ext_addr, 4);
		memcpy(b + 20, &r->sess.ext_port, 2);
		b[22] = r->sess.tcp_seen;
		b[23] = r->sess.flags;
		put32(b + 24, r->sess.remaining_ms);
		__attribute__((fallthrough));
	case HS_SESS_DEL:
		put_key(b, &r->sess.key);
		break;
	}
	return n;
}

int hs_decode(const void *buf, size_t len, struct hs_rec *r)
{
	const __u8 *p = buf, *b = p + HS_HDR_LEN;
	__u32 n;

	if (len < HS_HDR_LEN)
		return 0;
	if (get16(p) != HS_MAGIC || p[2] != HS_VERSION || p[3] == 0 ||
	    p[3] >= HS_TYPE_MAX)
		return -EPROTO;
	n = get32(p + 4);
	if (n != HS_HDR_LEN + (__u32)hs_body_len[p[3]])
		return -EPROTO;
	if (len < n)
		return 0;
	memset(r, 0, sizeof(*r));
	r->type = p[3];
	r->seq = get64(p + 8);
	switch (r->type) {
	case HS_HELLO:
		r->hello.node = get64(b);
		r->hello.epoch = get64(b + 8);
		r->hello.seq = get64(b + 16);
		r->hello.flags = get32(b + 24);
		break;
	case HS_ACK:
		r->ack = get64(b);
		break;
	case HS_BULK_START:
	case HS_BULK_END:
		r->count = get64(b);
		break;
	case HS_MARK:
		r->mark_ms = get64(b);
		break;
	case HS_BLOCK:
		r->block.id = get32(b);
		memcpy(&r->block.sub_addr, b + 4, 4);
		r->block.held = b[8];
		r->block.assigned_tai_ns = get64(b + 12);
		r->block.released_tai_ns = get64(b + 20);
		r->block.quarantine_ms = get32(b + 28);
		break;
	case HS_MAP:
		memcpy(&r->map.int_addr, b, 4);
		memcpy(&r->map.ext_addr, b + 4, 4);
		memcpy(&r->map.int_port, b + 8, 2);
		memcpy(&r->map.ext_port, b + 10, 2);
		r->map.proto = b[12];
		r->map.age_ms = get32(b + 16);
		r->map.pcp_left_s = (__u32)b[13] << 16 | b[14] << 8 | b[15];
		break;
	case HS_MAP_DEL:
		memcpy(&r->map.int_addr, b, 4);
		memcpy(&r->map.int_port, b + 4, 2);
		r->map.proto = b[6];
		break;
	case HS_SESS:
		memcpy(&r->sess.ext_addr, b + 16, 4);
		memcpy(&r->sess.ext_port, b + 20, 2);
		r->sess.tcp_seen = b[22];
		r->sess.flags = b[23];
		r->sess.remaining_ms = get32(b + 24);
		__attribute__((fallthrough));
	case HS_SESS_DEL:
		get_key(b, &r->sess.key);
		break;
	}
	/* Control records are never sequenced, data records always. */
	if ((r->type == HS_HELLO || r->type == HS_ACK) != (r->seq == 0))
		return -EPROTO;
	return (int)n;
}

__u32 hs_remaining_ms(__u64 expires_ns, __u64 now_ns)
{
	__u64 d, ms;

	if (expires_ns <= now_ns)
		return 0;
	d = expires_ns - now_ns;
	ms = d / 1000000 + (d % 1000000 != 0); /* rounded up: never early */
	return ms > 0xffffffffu ? 0xffffffffu : (__u32)ms;
}

__u64 hs_expires_ns(__u32 remaining_ms, __u64 now_ns)
{
	/* Slot code 0, the narrowest bound slot (cgnat_abi.h). */
	return cgnat_exp_make(now_ns + (__u64)remaining_ms * 1000000, 0);
}

int hs_refresh_due(__u32 sent_remaining_ms, __u64 sent_at_ms,
		   __u32 now_remaining_ms, __u64 now_ms, __u32 timeout_ms)
{
	/* Where the standby believes it expires, against where it does. */
	__u64 believed = sent_at_ms + sent_remaining_ms;
	__u64 actual = now_ms + now_remaining_ms;

	if (actual < believed) /* shortened (TCP FIN/RST timers): now */
		return 1;
	return actual - believed > timeout_ms / 4;
}

/* ---- active side ---- */

int hs_tx_init(struct hs_tx *t, size_t cap, __u64 node, __u64 epoch)
{
	memset(t, 0, sizeof(*t));
	if (cap < 2 * HS_FRAME_MAX)
		return -EINVAL;
	t->buf = malloc(cap);
	if (!t->buf)
		return -ENOMEM;
	t->cap = cap;
	t->node = node;
	t->epoch = epoch;
	t->next_seq = 1;
	t->base_seq = 1;
	return 0;
}

void hs_tx_free(struct hs_tx *t)
{
	free(t->buf);
	t->buf = NULL;
}

size_t hs_tx_room(const struct hs_tx *t)
{
	return (t->cap - t->len) / HS_FRAME_MAX;
}

static void tx_clear(struct hs_tx *t)
{
	t->len = 0;
	t->sent = 0;
	t->base_seq = t->next_seq;
}

int hs_tx_push(struct hs_tx *t, struct hs_rec *r)
{
	if (r->type < HS_BULK_START || r->type >= HS_TYPE_MAX)
		return -EINVAL;
	r->seq = t->next_seq++;
	if (t->lost) /* no connection can resume: just count */
		return -ENOBUFS;
	if (t->cap - t->len < HS_FRAME_MAX) {
		t->lost = 1;
		tx_clear(t);
		return -ENOBUFS;
	}
	t->len += hs_encode(r, t->buf + t->len);
	return 0;
}

/* Offset of the frame with seq 'seq' in buf (len if past the end). */
static size_t tx_offset(const struct hs_tx *t, __u64 seq)
{
	size_t off = 0;
	__u64 s = t->base_seq;

	while (off < t->len && s < seq) {
		off += get32(t->buf + off + 4);
		s++;
	}
	return off;
}

int hs_tx_ack(struct hs_tx *t, __u64 seq)
{
	size_t off;

	if (seq >= t->next_seq)
		return -EPROTO;
	if (seq <= t->acked || t->lost)
		return 0;
	t->acked = seq;
	if (seq < t->base_seq)
		return 0;
	off = tx_offset(t, seq + 1);
	memmove(t->buf, t->buf + off, t->len - off);
	t->len -= off;
	t->sent = t->sent > off ? t->sent - off : 0;
	t->base_seq = seq + 1;
	return 0;
}

enum hs_mode hs_tx_accept(struct hs_tx *t, const struct hs_hello *peer,
			  __u64 bulk_count, struct hs_rec *hello_out)
{
	enum hs_mode m = HS_BULK;
	struct hs_rec bs = {.type = HS_BULK_START, .count = bulk_count};

	/* Resumable: same stream, nothing the peer lacks was dropped. */
	if (!t->lost && peer->epoch == t->epoch &&
	    peer->seq + 1 >= t->base_seq && peer->seq < t->next_seq) {
		hs_tx_ack(t, peer->seq);
		t->sent = 0;
		m = HS_RESUME;
	}
	memset(hello_out, 0, sizeof(*hello_out));
	hello_out->type = HS_HELLO;
	hello_out->hello.node = t->node;
	hello_out->hello.epoch = t->epoch;
	if (m == HS_BULK) {
		t->lost = 0;
		tx_clear(t);
		t->acked = t->next_seq - 1; /* nothing before counts */
		hello_out->hello.flags = HS_HF_BULK;
		hello_out->hello.seq = t->next_seq;
		hs_tx_push(t, &bs);
	} else {
		hello_out->hello.seq = peer->seq + 1;
	}
	return m;
}

const void *hs_tx_pending(const struct hs_tx *t, size_t *len)
{
	*len = t->len - t->sent;
	return t->buf + t->sent;
}

void hs_tx_wrote(struct hs_tx *t, size_t n)
{
	t->sent += n;
}

__u64 hs_tx_lag(const struct hs_tx *t)
{
	return t->next_seq - 1 - t->acked;
}

/* ---- standby side ---- */

void hs_rx_init(struct hs_rx *r)
{
	memset(r, 0, sizeof(*r));
}

void hs_rx_hello(const struct hs_rx *r, __u64 node, struct hs_rec *out)
{
	memset(out, 0, sizeof(*out));
	out->type = HS_HELLO;
	out->hello.node = node;
	out->hello.epoch = r->epoch;
	out->hello.seq = r->last_seq;
}

static int rx_hello(struct hs_rx *r, const struct hs_hello *h)
{
	if (h->flags & HS_HF_BULK) {
		r->epoch = h->epoch;
		r->last_seq = h->seq - 1;
		r->ready = 0;
	} else if (h->epoch != r->epoch || h->seq != r->last_seq + 1) {
		return -EPROTO; /* a resume of a stream we do not have */
	}
	r->expect_seq = h->seq;
	return 0;
}

int hs_rx_feed(struct hs_rx *r, const void *buf, size_t len, hs_apply_fn fn,
	       void *ctx)
{
	const __u8 *p = buf;
	size_t used = 0;
	struct hs_rec rec;
	int n, err;

	while ((n = hs_decode(p + used, len - used, &rec)) > 0) {
		if (rec.type == HS_HELLO) {
			err = rx_hello(r, &rec.hello);
		} else if (rec.type == HS_ACK || !r->expect_seq ||
			   rec.seq != r->expect_seq ||
			   (rec.type == HS_BULK_END && !r->in_bulk) ||
			   (rec.type == HS_BULK_START && r->in_bulk)) {
			err = -EPROTO;
		} else {
			err = fn(&rec, ctx);
		}
		if (err)
			return err;
		if (rec.type != HS_HELLO) {
			if (rec.type == HS_BULK_START) {
				r->in_bulk = 1;
				r->bulk_total = rec.count;
				r->bulk_done = 0;
			} else if (rec.type == HS_BULK_END) {
				r->in_bulk = 0;
				r->ready = 1;
			} else if (rec.type == HS_MARK) {
				r->mark_ms = rec.mark_ms;
			} else if (r->in_bulk) {
				r->bulk_done++;
			}
			r->last_seq = rec.seq;
			r->expect_seq = rec.seq + 1;
		}
		used += n;
	}
	return n < 0 ? n : (int)used;
}

void hs_rx_disconnect(struct hs_rx *r)
{
	r->expect_seq = 0;
	/* A bulk cut short is restarted whole: nothing to resume into. */
	if (r->in_bulk) {
		r->in_bulk = 0;
		r->epoch = 0;
		r->last_seq = 0;
	}
}
