// SPDX-License-Identifier: GPL-2.0
/*
 * bench_ha.c - HA state sync numbers (make bench):
 *   protocol: records/s through hs_tx_push + hs_rx_feed (encode, frame,
 *             decode, sequence check), in memory;
 *   apply:    records/s hst_apply writes into a standby's maps;
 *   bulk:     seconds to bulk-sync N sessions from one load to another
 *             (hst_scan, the byte stream, hst_apply; no network: a TCP
 *             loopback or link adds its own transfer time);
 *   bytes:    sync bytes of one flow's life (mapping, session, delete of
 *             both; refreshes on top), so per 1k new flows/s.
 *
 *   bench_ha OUT.json [SESSIONS]   (default 1048576)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/cgnat.skel.h"

#include "daemon/hastate.h"
#include "tests/bpf/harness.h"

#define SUBS 1024
#define MAPS_PER_SUB 32

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static __u64 boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The i-th record of a synthetic state: SUBS blocks, MAPS_PER_SUB UDP
 * mappings each, then sessions spread over the mappings' remotes.
 */
static void synth(__u64 i, __u64 nsess, __u32 bpa, struct hs_rec *r)
{
	__u32 s, m;

	memset(r, 0, sizeof(*r));
	if (i < SUBS) {
		r->type = HS_BLOCK;
		r->block.id = (i % 4) * bpa + i / 4; /* on 4 addresses */
		r->block.sub_addr = htonl(0x64400000 + i);
		r->block.held = 1;
		r->block.assigned_tai_ns = 1764900000000000000ull + i;
		return;
	}
	i -= SUBS;
	if (i < SUBS * MAPS_PER_SUB) {
		s = i / MAPS_PER_SUB;
		m = i % MAPS_PER_SUB;
		r->type = HS_MAP;
		r->map.int_addr = htonl(0x64400000 + s);
		r->map.int_port = htons(10000 + m);
		r->map.proto = 17;
		r->map.ext_addr = htonl(0xcb007101 + s % 4);
		r->map.ext_port = htons(1024 + (s / 4) * 64 + m);
		return;
	}
	i -= SUBS * MAPS_PER_SUB;
	(void)nsess;
	s = i % SUBS;
	m = (i / SUBS) % MAPS_PER_SUB;
	r->type = HS_SESS;
	r->sess.key.int_addr = htonl(0x64400000 + s);
	r->sess.key.int_port = htons(10000 + m);
	r->sess.key.rem_addr = htonl(0xc6336400 + (i / SUBS / MAPS_PER_SUB));
	r->sess.key.rem_port = htons(443);
	r->sess.key.proto = 17;
	r->sess.ext_addr = htonl(0xcb007101 + s % 4);
	r->sess.ext_port = htons(1024 + (s / 4) * 64 + m);
	r->sess.remaining_ms = 300000;
}

static int count_only(const struct hs_rec *r, void *ctx)
{
	(void)r;
	++*(__u64 *)ctx;
	return 0;
}

struct bulk {
	struct hs_tx tx;
	struct hs_rx rx;
	struct harness *to;
	__u8 carry[HS_FRAME_MAX * 2];
	size_t nc;
	__u64 applied;
};

static int apply_to(const struct hs_rec *r, void *ctx)
{
	struct bulk *b = ctx;

	b->applied++;
	return hst_apply(&b->to->dp, r, h_now_ns(), boot_ns());
}

/* Moves what the tx holds into the rx (as a socket would), acks it. */
static int drain(struct bulk *b)
{
	const __u8 *p;
	size_t len;
	int used;

	p = hs_tx_pending(&b->tx, &len);
	used = hs_rx_feed(&b->rx, p, len, apply_to, b);
	if (used < 0 || (size_t)used != len)
		return -EPROTO;
	hs_tx_wrote(&b->tx, len);
	return hs_tx_ack(&b->tx, b->rx.last_seq);
}

static int emit(struct hs_rec *r, void *ctx)
{
	struct bulk *b = ctx;

	if (!hs_tx_room(&b->tx) && drain(b))
		return -EPROTO;
	return hs_tx_push(&b->tx, r);
}

int main(int argc, char **argv)
{
	__u64 nsess = argc > 2 ? strtoull(argv[2], NULL, 0) : 1048576;
	__u64 total = SUBS + SUBS * MAPS_PER_SUB + nsess, i, got = 0, n;
	static struct harness a, b;
	struct hs_tx tx;
	struct hs_rx rx;
	struct hs_rec r, hello, ho, end = {.type = HS_BULK_END};
	struct bulk bk;
	double t0, proto_s, apply_s, bulk_s;
	__u8 buf[HS_FRAME_MAX];
	size_t flow_bytes = 0, len;
	const void *p;
	__u32 bpa, size = (nsess > SUBS * MAPS_PER_SUB ? nsess
						       : SUBS * MAPS_PER_SUB) +
			  1024;
	FILE *f;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_ha OUT.json [SESSIONS]\n");
		return 2;
	}
	/* Protocol alone: encode, frame, decode, sequence. */
	if (hs_tx_init(&tx, 1 << 20, 1, 1))
		return 1;
	hs_rx_init(&rx);
	hs_rx_hello(&rx, 2, &hello);
	hs_tx_accept(&tx, &hello.hello, total, &ho);
	len = hs_encode(&ho, buf);
	hs_rx_feed(&rx, buf, len, count_only, &got);
	t0 = now_s();
	for (i = 0; i < total; i++) {
		synth(i, nsess, 1008, &r);
		if (!hs_tx_room(&tx)) {
			p = hs_tx_pending(&tx, &len);
			if (hs_rx_feed(&rx, p, len, count_only, &got) !=
			    (int)len)
				return 1;
			hs_tx_wrote(&tx, len);
			hs_tx_ack(&tx, rx.last_seq);
		}
		if (hs_tx_push(&tx, &r))
			return 1;
	}
	p = hs_tx_pending(&tx, &len);
	hs_rx_feed(&rx, p, len, count_only, &got);
	proto_s = now_s() - t0;
	hs_tx_free(&tx);
	if (got != total + 1)
		return fprintf(stderr, "protocol: %llu of %llu\n",
			       (unsigned long long)got,
			       (unsigned long long)total + 1),
		       1;

	/* One flow's life on the wire: its mapping and session when it is
	 * made, the session's delete when it ends (a mapping's delete is
	 * never sent: the takeover's purge drops what no block covers). */
	for (i = 0; i < 4; i++) {
		if (i == 2)
			continue;
		synth(i == 0 || i == 3 ? SUBS : SUBS + SUBS * MAPS_PER_SUB,
		      nsess, 1008, &r);
		if (i >= 2)
			r.type++; /* the deletes */
		r.seq = 1;
		flow_bytes += hs_encode(&r, buf);
	}

	/* Apply into a standby's maps. */
	if (h_netns() || h_load_sized(&a, 4, 64, 8, 0, size, SUBS * 2))
		return 1;
	bpa = a.o.cfg.blocks_per_addr;
	t0 = now_s();
	for (i = 0; i < total; i++) {
		synth(i, nsess, bpa, &r);
		if (hst_apply(&a.dp, &r, h_now_ns(), boot_ns()))
			return fprintf(stderr, "apply %llu: failed\n",
				       (unsigned long long)i),
			       1;
	}
	apply_s = now_s() - t0;

	/* Bulk sync: everything of a to a fresh b. */
	if (h_load_sized(&b, 4, 64, 8, 0, size, SUBS * 2))
		return 1;
	memset(&bk, 0, sizeof(bk));
	bk.to = &b;
	if (hs_tx_init(&bk.tx, 1 << 20, 1, 2))
		return 1;
	hs_rx_init(&bk.rx);
	t0 = now_s();
	hs_rx_hello(&bk.rx, 2, &hello);
	hs_tx_accept(&bk.tx, &hello.hello, total, &ho);
	len = hs_encode(&ho, buf);
	hs_rx_feed(&bk.rx, buf, len, apply_to, &bk);
	if (hst_scan(&a.dp, h_now_ns(), boot_ns(), emit, &bk, &n))
		return fprintf(stderr, "bulk scan failed\n"), 1;
	end.count = n;
	if ((!hs_tx_room(&bk.tx) && drain(&bk)) || hs_tx_push(&bk.tx, &end) ||
	    drain(&bk) || !bk.rx.ready)
		return fprintf(stderr, "bulk failed\n"), 1;
	bulk_s = now_s() - t0;
	if (n != total)
		return fprintf(stderr, "bulk: scanned %llu of %llu\n",
			       (unsigned long long)n,
			       (unsigned long long)total),
		       1;

	printf("%-44s %12s\n", "HA sync", "");
	printf("%-44s %12.0f\n", "protocol records/s (encode+decode, memory)",
	       total / proto_s);
	printf("%-44s %12.0f\n", "standby apply records/s (into maps)",
	       total / apply_s);
	printf("%-44s %12.2f\n", "bulk sync s (sessions below, + blocks, maps)",
	       bulk_s);
	printf("%-44s %12llu\n", "  sessions", (unsigned long long)nsess);
	printf("%-44s %12zu\n", "bytes per flow (map+sess+sess delete)",
	       flow_bytes);
	printf("%-44s %12.0f\n", "kbit/s per 1k new flows/s (no refresh)",
	       flow_bytes * 1000 * 8 / 1000.0);
	f = fopen(argv[1], "w");
	if (!f)
		return 1;
	fprintf(f,
		"{\"records\": %llu, \"sessions\": %llu, "
		"\"protocol_rps\": %.0f, \"apply_rps\": %.0f, "
		"\"bulk_s\": %.3f, \"flow_bytes\": %zu}\n",
		(unsigned long long)total, (unsigned long long)nsess,
		total / proto_s, total / apply_s, bulk_s, flow_bytes);
	fclose(f);
	hs_tx_free(&bk.tx);
	h_unload(&b);
	h_unload(&a);
	return 0;
}
