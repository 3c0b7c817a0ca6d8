// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_hasync.c - the HA sync protocol decoder (daemon/hasync.c): a
 * peer's bytes are untrusted. hs_decode() on the input must consume
 * within it, and a record it accepts encodes to a frame that decodes to
 * the same record (reserved bytes aside);
 * hs_rx_feed() on the input, cut in two where its first byte says, must
 * consume within what it was given and apply records in sequence.
 */
#include <errno.h>
#include <string.h>

#include "daemon/hasync.h"
#include "tests/fuzz/fuzz.h"

struct applied {
	__u64 last;
	unsigned int n;
};

static int apply(const struct hs_rec *r, void *ctx)
{
	struct applied *a = ctx;

	a->n++;
	a->last = r->seq;
	return 0;
}

static void feed(struct hs_rx *rx, const uint8_t *d, size_t n,
		 struct applied *a)
{
	size_t off = 0;

	while (off < n) {
		int rc = hs_rx_feed(rx, d + off, n - off, apply, a);

		if (rc < 0) {
			hs_rx_disconnect(rx);
			return;
		}
		FUZZ_ASSERT((size_t)rc <= n - off);
		if (rc == 0)
			return;	/* a partial frame waits for more */
		off += rc;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t enc[HS_FRAME_MAX];
	struct applied a = { 0 };
	struct hs_rx rx;
	struct hs_rec r, r2;
	size_t off = 0, cut;
	int rc;

	/* Every frame of the input, as the standby's reader would. */
	while (off < size) {
		memset(&r, 0, sizeof(r));
		rc = hs_decode(data + off, size - off, &r);
		if (rc <= 0) {
			FUZZ_ASSERT(rc == 0 || rc == -EPROTO);
			break;
		}
		FUZZ_ASSERT((size_t)rc <= size - off && rc <= HS_FRAME_MAX);
		FUZZ_ASSERT(hs_encode(&r, enc) == (size_t)rc);
		memset(&r2, 0, sizeof(r2));
		FUZZ_ASSERT(hs_decode(enc, rc, &r2) == rc);
		FUZZ_ASSERT(!memcmp(&r, &r2, sizeof(r)));
		off += rc;
	}
	hs_rx_init(&rx);
	cut = size ? data[0] % (size + 1) : 0;
	feed(&rx, data, cut, &a);
	feed(&rx, data + cut, size - cut, &a);
	return 0;
}
