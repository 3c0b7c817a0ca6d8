// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_ipfix.c - the IPFIX encoder's inputs (exporter/): the input is a
 * run of struct ipfix_event (what the log hands the exporter), the first
 * byte choosing the template options. Every event ipfix_event_check()
 * accepts must encode; every message emitted must be a well-formed IPFIX
 * message (version 10, its length, sets that fill it exactly).
 */
#include <string.h>

#include "exporter/ipfix.h"
#include "exporter/ipfix_enc.h"
#include "tests/fuzz/fuzz.h"

static uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static void emit(void *ctx, const uint8_t *msg, size_t len, unsigned int nrec)
{
	size_t off = 16;

	(void)ctx;
	(void)nrec;
	FUZZ_ASSERT(len >= 16 && len <= IPFIX_MTU);
	FUZZ_ASSERT(get16(msg) == 10 && get16(msg + 2) == len);
	while (off < len) {
		uint16_t sl;

		FUZZ_ASSERT(off + 4 <= len);
		sl = get16(msg + off + 2);
		FUZZ_ASSERT(sl >= 4 && off + sl <= len);
		FUZZ_ASSERT(get16(msg + off) == 2 || get16(msg + off) >= 256);
		off += sl;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipfix_model_opts o = { 0 };
	struct ipfix_enc *enc;
	struct ipfix_event ev;
	size_t off;

	if (size < 1)
		return 0;
	o.with_instance_id = data[0] & 1;
	o.with_pool_id = data[0] >> 1 & 1;
	o.session_events = data[0] >> 2 & 1;
	o.instance = data[0] >> 3;
	if (ipfix_enc_create(&o, 7, data[0] & 0x80 ? 256 : IPFIX_MTU, emit,
			     NULL, &enc))
		return 0;
	ipfix_enc_set_export_time(enc, 1764000000);
	FUZZ_ASSERT(ipfix_encode_templates(enc) == 0);
	for (off = 1; off + sizeof(ev) <= size; off += sizeof(ev)) {
		memcpy(&ev, data + off, sizeof(ev));
		if (ipfix_event_check(&o, &ev))
			continue;
		FUZZ_ASSERT(ipfix_encode_event(enc, &ev) == 0);
	}
	FUZZ_ASSERT(ipfix_encode_flush(enc) == 0);
	ipfix_enc_destroy(enc);
	return 0;
}
