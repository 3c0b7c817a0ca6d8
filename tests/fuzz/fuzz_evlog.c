// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_evlog.c - the ring-buffer event decoder of cgnatd (evlog_event():
 * what daemon/dprun.c hands on for every record of the data plane's
 * ring), against a real SQLite file: the input is a run of 40-byte
 * records (struct cgnat_event and the session record that shares its
 * size), delivered in order, then the batch committed. Nothing may crash
 * or read outside the block table, whatever the type, block id, pool or
 * ports; the log must stay readable (its open blocks listed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/cgnatd.h"
#include "tests/fuzz/fuzz.h"

static const char yaml[] =
	"interfaces: { inside: in0, outside: out0 }\n"
	"subscribers: [100.64.0.0/10]\n"
	"pools:\n"
	"  - name: t\n"
	"    addresses: [203.0.113.7]\n"
	"ports: { range: 1024-2047, block_size: 256, max_blocks: 2 }\n"
	"log: { database: /unused }\n";

static struct {
	char dir[64], path[96];
	struct cgnat_config cfg;
	struct dpconf dc;
	struct dprun run;
	struct cgnat_block blocks[4];
	struct evlog ev;
	struct store *st;
	int ready;
} T;

static void cleanup(void)
{
	char cmd[128];

	evlog_free(&T.ev);
	store_close(T.st);
	dpconf_free(&T.dc);
	cfg_free(&T.cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", T.dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", T.dir);
}

static void init(void)
{
	char err[512];

	snprintf(T.dir, sizeof(T.dir), "/tmp/fuzz_evlog.XXXXXX");
	FUZZ_ASSERT(mkdtemp(T.dir));
	snprintf(T.path, sizeof(T.path), "%s/log.db", T.dir);
	FUZZ_ASSERT(!cfg_load_string("t.yaml", yaml, strlen(yaml), &T.cfg, err,
				     sizeof(err)));
	FUZZ_ASSERT(!dpconf_build(&T.dc, &T.cfg, 0, NULL, err, sizeof(err)));
	FUZZ_ASSERT(!store_open(T.path, &T.st, err, sizeof(err)));
	T.run.dp.v.blocks = T.blocks;
	T.ev = (struct evlog){ .st = T.st, .cfg = &T.cfg, .run = &T.run,
			       .dc = &T.dc };
	T.ready = 1;
	atexit(cleanup);
}

static int count_row(const struct store_block *b, void *ctx)
{
	(void)b;
	(*(unsigned int *)ctx)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cgnat_event e;
	unsigned int rows = 0;
	size_t off;

	if (!T.ready)
		init();
	for (off = 0; off + sizeof(e) <= size; off += sizeof(e)) {
		memcpy(&e, data + off, sizeof(e));
		evlog_event(&T.ev, &e, dprun_tai_to_utc_ms(e.time_tai_ns));
	}
	evlog_flush(&T.ev);
	FUZZ_ASSERT(store_open_blocks(T.st, count_row, &rows) >= 0);
	return 0;
}
