// SPDX-License-Identifier: GPL-2.0
/*
 * bench_det.c - deterministic NAT (RFC 7422) beside PBA in one load:
 * ns/packet of the established path and of new flows for a deterministic
 * subscriber and a PBA one (BPF_PROG_TEST_RUN, per-run median, same
 * method for both), and the compliance log's bytes per subscriber-day
 * for each (real SQLite files): a deterministic pool writes its layout
 * row and one daily repeat, whatever its subscribers do; a PBA pool
 * writes at least an assign and a release per subscriber holding. Bytes
 * are row payload (SQLite's dbstat), tables and indexes, not file pages.
 *
 *   bench_det OUT.json [RUNS]
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <sqlite3.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "daemon/detlog.h"
#include "tests/bpf/harness.h"

static struct harness H;

struct result {
	const char *name;
	double median, mean;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static struct pkt_spec udp(uint32_t src, uint16_t sport)
{
	struct pkt_spec s = {.proto = 17,
			     .saddr = src,
			     .daddr = pkt_ip("198.51.100.10"),
			     .sport = sport,
			     .dport = 7,
			     .payload = 18};

	memcpy(s.smac, h_mac_h1, 6);
	memcpy(s.dmac, h_mac_tin, 6);
	return s;
}

/* Median ns of 'runs' packets; src_of(i) and sport_of(i) vary them. */
static int time_runs(int runs, uint32_t base, int subs, int fixed,
		     struct result *r)
{
	uint32_t *ns = calloc(runs, sizeof(*ns));
	uint8_t buf[256];
	int i, act;

	if (!ns)
		return -1;
	for (i = 0; i < runs; i++) {
		struct pkt_spec s = fixed ? udp(base, 5000)
					  : udp(htonl(ntohl(base) + i % subs),
						10000 + i / subs);
		size_t len = pkt_build(buf, sizeof(buf), &s);

		if (i % 8 == 0) {
			pb_sync(&H.pb, &H.pv, 0);
			pb_refill(&H.pb, &H.pv);
		}
		act = h_run_timed(H.prog[H_INSIDE], H.ifindex[H_INSIDE], buf,
				  len, &ns[i]);
		if (act != XDP_REDIRECT) {
			fprintf(stderr, "%s: run %d verdict %d\n", r->name, i,
				act);
			free(ns);
			return -1;
		}
	}
	qsort(ns, runs, sizeof(*ns), cmp_u32);
	r->median = ns[runs / 2];
	r->mean = 0;
	for (i = 0; i < runs; i++)
		r->mean += (double)ns[i] / runs;
	free(ns);
	return 0;
}

/* Bytes of row payload in the database file at dir (SQLite's dbstat):
 * what the rows take, without the free pages a migration leaves.
 */
static long long file_bytes(const char *dir)
{
	char p[128];
	sqlite3 *db;
	sqlite3_stmt *s;
	long long n = -1;

	snprintf(p, sizeof(p), "%s/cgnat.db", dir);
	if (sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT sum(payload) FROM dbstat", -1, &s,
			       NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return n;
}

/* The database at dir and its WAL and shared-memory files, gone (a
 * read-only open of a WAL database makes the -shm file again).
 */
static void remove_db(const char *dir)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	char p[128];
	size_t i;

	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s/cgnat.db%s", dir, suffix[i]);
		unlink(p);
	}
}

static const char YAML[] = "interfaces: { inside: in0, outside: out0 }\n"
			   "subscribers: [100.64.0.0/16]\n"
			   "pools:\n"
			   "  - name: det\n"
			   "    addresses: [203.0.113.0/24]\n"
			   "    mode: deterministic\n"
			   "    ports_per_subscriber: 192\n";

/* Bytes per subscriber-day of a deterministic /16 over 'days' days, and
 * of the same subscribers under PBA with one holding each per day, on
 * fresh databases (the empty file's size subtracted).
 */
static int log_bytes(int days, double *det, double *pba)
{
	char dir[] = "/tmp/cgnat-bench-det.XXXXXX", err[256], p[128];
	const int subs = 65536, pba_subs = 4096;
	struct cgnat_config cfg;
	struct detlog_moved m = {0};
	struct store *st;
	long long empty;
	int64_t t = 1764000000000LL;
	int d, i, rc = 0;

	if (!mkdtemp(dir))
		return -1;
	snprintf(p, sizeof(p), "%s/cgnat.db", dir);
	if (cfg_load_string("b.yaml", YAML, sizeof(YAML) - 1, &cfg, err,
			    sizeof(err)) ||
	    store_open(p, &st, err, sizeof(err))) {
		fprintf(stderr, "log bench: %s\n", err);
		remove_db(dir);
		rmdir(dir);
		return -1;
	}
	store_close(st);
	empty = file_bytes(dir);
	store_open(p, &st, err, sizeof(err));
	rc |= detlog_sync(st, &cfg, t, &m) != 1;
	for (d = 1; d <= days; d++)
		rc |= detlog_daily(st, &cfg, t + d * DETLOG_DAY_MS) != 1;
	store_close(st);
	*det = (double)(file_bytes(dir) - empty) / subs / days;
	remove_db(dir);
	store_open(p, &st, err, sizeof(err));
	store_begin(st);
	for (d = 0; d < days && !rc; d++)
		for (i = 0; i < pba_subs && !rc; i++) {
			struct store_block b = {
				.instance = 1,
				.pool_id = 1,
				.pool = "pba",
				.sub_addr = 0x64400000 + i,
				.ext_addr = 0xcb007100 + i % 64,
				.port_first = 1024 + (i / 64) * 256,
				.port_last = 1024 + (i / 64) * 256 + 255,
				.assigned_ms = t + d * DETLOG_DAY_MS + i,
				.released_ms = STORE_MS_NONE};

			rc = store_block_assign(st, &b, NULL) ||
			     store_block_release(st, b.ext_addr, b.port_first,
						 b.assigned_ms + 3600000,
						 STORE_REL_IDLE);
		}
	rc |= store_commit(st);
	store_close(st);
	*pba = (double)(file_bytes(dir) - empty) / pba_subs / days;
	remove_db(dir);
	rmdir(dir);
	return rc ? -1 : 0;
}

int main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[2]) : 20000;
	struct result r[4] = {
		{.name = "PBA subscriber, established"},
		{.name = "deterministic subscriber, established"},
		{.name = "PBA subscribers, new flow"},
		{.name = "deterministic subscribers, new flow"},
	};
	double det = 0, pba = 0;
	uint8_t out[256], buf[256];
	size_t olen = sizeof(out), len;
	struct pkt_spec s;
	FILE *f;
	int i, fail = 0;

	if (argc < 2 || h_netns() || h_load_det(&H, 256, 256, 0))
		return 1;
	/* Established: one flow each, installed first. */
	s = udp(pkt_ip("100.64.0.10"), 5000);
	len = pkt_build(buf, sizeof(buf), &s);
	h_run(&H, H_INSIDE, buf, len, out, &olen);
	s = udp(pkt_ip("100.64.1.10"), 5000);
	len = pkt_build(buf, sizeof(buf), &s);
	olen = sizeof(out);
	h_run(&H, H_INSIDE, buf, len, out, &olen);
	fail |= time_runs(runs, pkt_ip("100.64.0.10"), 1, 1, &r[0]);
	fail |= time_runs(runs, pkt_ip("100.64.1.10"), 1, 1, &r[1]);
	/* New flows: 64 subscribers of each pool, new ports round robin
	 * (a PBA subscriber takes a block on its first flow and grows).
	 */
	fail |= time_runs(runs / 4, pkt_ip("100.64.2.0"), 64, 0, &r[2]);
	fail |= time_runs(runs / 4, pkt_ip("100.64.1.64"), 64, 0, &r[3]);
	h_unload(&H);
	fail |= log_bytes(30, &det, &pba);
	printf("%-42s %8s %8s\n", "path (BPF_PROG_TEST_RUN, per run)", "median",
	       "mean");
	for (i = 0; i < 4; i++)
		printf("%-42s %8.0f %8.0f\n", r[i].name, r[i].median,
		       r[i].mean);
	printf("\n%-42s %8.3f\n", "log bytes/subscriber-day, deterministic",
	       det);
	printf("%-42s %8.1f\n", "log bytes/subscriber-day, PBA (1 holding)",
	       pba);
	f = fopen(argv[1], "w");
	if (f) {
		fprintf(f, "{\n  \"unit\": \"ns/packet, BPF_PROG_TEST_RUN "
			   "per-run median\",\n  \"results\": [\n");
		for (i = 0; i < 4; i++)
			fprintf(f,
				"    {\"path\": \"%s\", \"ns\": %.0f, "
				"\"mean_ns\": %.0f}%s\n",
				r[i].name, r[i].median, r[i].mean,
				i < 3 ? "," : "");
		fprintf(f,
			"  ],\n  \"log_bytes_per_subscriber_day\": "
			"{\"deterministic\": %.4f, \"pba_one_holding\": "
			"%.1f}\n}\n",
			det, pba);
		fclose(f);
	}
	return fail;
}
