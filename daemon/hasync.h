/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hasync.h - the HA state-sync protocol, pure: records, their wire
 * encoding, framing over a byte stream, sequence numbers and cumulative
 * acks, bulk sync and resume after a reconnect. No sockets, no maps, no
 * clocks: the caller passes "now" and moves the bytes (docs/ha.md).
 *
 * The stream runs over TCP from the active (hs_tx) to the standby (hs_rx),
 * so it is reliable and ordered while a connection lasts; sequence numbers
 * and acks are for what a connection loss leaves unknown. Every data record
 * is an idempotent upsert or delete of one entry's whole state, so a
 * record applied twice (resume after a lost ack) does no harm and a later
 * record for the same entry always wins.
 *
 * Times cross the wire as milliseconds REMAINING (or ages), never as the
 * sender's kernel clock. Subscribers are named by address, never by slot.
 */
#ifndef CGNAT_HASYNC_H
#define CGNAT_HASYNC_H

#include <linux/types.h>
#include <stddef.h>
#include "bpf/cgnat_abi.h"

#define HS_MAGIC 0x4841 /* "HA" */
#define HS_VERSION 2
#define HS_HDR_LEN 16
#define HS_FRAME_MAX 64 /* the largest record with its header */

enum hs_type {
	HS_HELLO = 1, /* both ends, first on a connection; seq 0 */
	HS_ACK = 2, /* standby -> active, cumulative; seq 0 */
	HS_BULK_START = 3, /* standby forgets all synced state */
	HS_BULK_END = 4, /* standby has everything: eligible */
	HS_BLOCK = 5, /* one port block's whole state */
	HS_MAP = 6, /* EIM mapping upsert (its port bit with it) */
	HS_MAP_DEL = 7,
	HS_SESS = 8, /* session upsert, also the batched refresh */
	HS_SESS_DEL = 9,
	HS_MARK = 10, /* every data-plane event up to mark_ms precedes this */
	HS_TYPE_MAX = 11,
};

/* HELLO flags. */
#define HS_HF_BULK 0x1 /* active -> standby: a bulk sync follows */

struct hs_hello {
	__u64 node; /* sender's node id (for status) */
	__u64 epoch; /* stream id: random per active run */
	__u64 seq; /* standby: last applied; active: next to send */
	__u32 flags; /* HS_HF_* */
};

struct hs_block {
	__u32 id; /* global block id: same config on both boxes */
	__be32 sub_addr; /* holder by address (kept after release) */
	__u8 held; /* 1 = assigned, 0 = free or in quarantine */
	__u64 assigned_tai_ns; /* wall clock: the same holding on both */
	__u64 released_tai_ns;
	__u32 quarantine_ms; /* remaining, 0 = none */
};

#define HS_PCP_IN 0x800000u
#define HS_PCP_LEFT 0x7fffffu

struct hs_map { /* key: int_addr, int_port, proto */
	__be32 int_addr;
	__be32 ext_addr;
	__be16 int_port;
	__be16 ext_port;
	__u8 proto;
	__u32 age_ms; /* since created */
	/* A PCP mapping's lifetime left (s, < 2^23; 0: none or ended), with
	 * HS_PCP_IN for a MAP: in the body's spare bytes 13..15, so a peer
	 * that predates it reads an ordinary mapping. */
	__u32 pcp_left_s;
};

struct hs_sess {
	struct cgnat_sess_key key;
	__be32 ext_addr;
	__be16 ext_port;
	__u8 tcp_seen;
	__u8 flags;
	__u32 remaining_ms; /* until expiry, from the sender's "now" */
};

struct hs_rec {
	__u8 type; /* enum hs_type */
	__u64 seq; /* 0 for HELLO and ACK */
	union {
		struct hs_hello hello;
		__u64 ack; /* ACK: last seq applied */
		__u64 count; /* BULK_START: entries to come (a hint for
			      * progress); BULK_END: entries sent */
		struct hs_block block;
		struct hs_map map;
		struct hs_sess sess;
		__u64 mark_ms; /* MARK: UTC ms, the sync point it proves */
	};
};

/* Encodes r (with r->seq) into buf (HS_FRAME_MAX bytes); the length. */
size_t hs_encode(const struct hs_rec *r, void *buf);

/* Decodes one frame from the start of buf: bytes consumed, 0 if buf holds
 * only part of a frame, -EPROTO for a bad magic/version/type/length (the
 * stream cannot be trusted after it: drop the connection).
 */
int hs_decode(const void *buf, size_t len, struct hs_rec *r);

/* Kernel-clock expiry <-> remaining ms, saturating. */
__u32 hs_remaining_ms(__u64 expires_ns, __u64 now_ns);
__u64 hs_expires_ns(__u32 remaining_ms, __u64 now_ns);

/* Batched refresh: a live session's refresh is worth sending when its
 * expiry moved by more than a quarter of its timeout since last sent,
 * so one session costs at most ~4 records per timeout however busy it is.
 */
int hs_refresh_due(__u32 sent_remaining_ms, __u64 sent_at_ms,
		   __u32 now_remaining_ms, __u64 now_ms, __u32 timeout_ms);

/* ---- active side ---- */

enum hs_mode {
	HS_RESUME = 1, /* retransmit from the peer's seq + 1 */
	HS_BULK = 2, /* send everything again */
};

struct hs_tx {
	__u64 node, epoch;
	__u64 next_seq; /* next to assign, from 1 */
	__u64 acked; /* cumulative ack of this epoch's stream */
	__u8 *buf; /* encoded frames not yet acked, in order */
	size_t cap, len;
	size_t sent; /* bytes of buf already handed to the socket */
	__u64 base_seq; /* seq of the frame at buf[0] */
	int lost; /* overflowed: next connection gets a bulk */
};

int hs_tx_init(struct hs_tx *t, size_t cap, __u64 node, __u64 epoch);
void hs_tx_free(struct hs_tx *t);
/* Free room in frames of the largest size (pace a bulk scan with it). */
size_t hs_tx_room(const struct hs_tx *t);
/* Queues a data/bulk record, assigning r->seq. -ENOBUFS when full: the
 * queue is dropped and the peer will get a bulk sync (caller closes the
 * connection).
 */
int hs_tx_push(struct hs_tx *t, struct hs_rec *r);
/* A cumulative ack. -EPROTO for an ack of what was never sent. */
int hs_tx_ack(struct hs_tx *t, __u64 seq);
/* A new connection: from the peer's HELLO, resume or bulk; fills the
 * HELLO to send first. For HS_BULK the queue is emptied and BULK_START
 * queued (count as hint); the caller then pushes every entry and BULK_END.
 */
enum hs_mode hs_tx_accept(struct hs_tx *t, const struct hs_hello *peer,
			  __u64 bulk_count, struct hs_rec *hello_out);
/* Bytes to write next (and hs_tx_wrote after writing some). */
const void *hs_tx_pending(const struct hs_tx *t, size_t *len);
void hs_tx_wrote(struct hs_tx *t, size_t n);
/* Records sent but not acked (the sync lag in events). */
__u64 hs_tx_lag(const struct hs_tx *t);

/* ---- standby side ---- */

typedef int (*hs_apply_fn)(const struct hs_rec *r, void *ctx);

struct hs_rx {
	__u64 epoch; /* of the stream last applied, 0 = none */
	__u64 last_seq; /* last applied of that stream */
	__u64 expect_seq; /* next acceptable, 0 until a HELLO */
	int in_bulk;
	int ready; /* a bulk sync completed in this epoch */
	__u64 bulk_total, bulk_done; /* progress */
	__u64 mark_ms; /* the last MARK applied: synced up to here */
};

void hs_rx_init(struct hs_rx *r);
/* The HELLO a standby sends first on each connection. */
void hs_rx_hello(const struct hs_rx *r, __u64 node, struct hs_rec *out);
/* Consumes whole frames from buf: for each sequenced record in order,
 * calls fn (BULK_START/END too), then advances last_seq. Returns bytes
 * consumed (the rest is a partial frame: keep it for the next call) or
 * -EPROTO (bad frame, out-of-order seq, a resume that does not fit) or
 * fn's negative error, after which the connection must be dropped;
 * last_seq then is the last record fn accepted.
 */
int hs_rx_feed(struct hs_rx *r, const void *buf, size_t len, hs_apply_fn fn,
	       void *ctx);
/* A connection ended: the next one starts with a HELLO again. */
void hs_rx_disconnect(struct hs_rx *r);

#endif
