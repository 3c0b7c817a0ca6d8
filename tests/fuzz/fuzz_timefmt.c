// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_timefmt.c - cgnatctl's time, address and endpoint arguments
 * (logger/timefmt.c). Whatever parses must format and parse back to the
 * same value; an error must come with a message.
 */
#include <stdlib.h>
#include <string.h>

#include "logger/timefmt.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), err[256], buf[64];
	int64_t ms, ms2;
	uint32_t a, a2;
	uint16_t port;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	err[0] = 0;
	if (!timefmt_parse(s, &ms, err, sizeof(err))) {
		if (!timefmt_format(ms, buf, sizeof(buf))) {
			FUZZ_ASSERT(!timefmt_parse(buf, &ms2, err, sizeof(err)));
			FUZZ_ASSERT(ms2 == ms);
		}
	} else {
		FUZZ_ASSERT(err[0]);
	}
	err[0] = 0;
	if (!timefmt_parse_addr(s, &a, err, sizeof(err))) {
		timefmt_format_addr(a, buf, sizeof(buf));
		FUZZ_ASSERT(!timefmt_parse_addr(buf, &a2, err, sizeof(err)));
		FUZZ_ASSERT(a2 == a);
	} else {
		FUZZ_ASSERT(err[0]);
	}
	err[0] = 0;
	if (timefmt_parse_endpoint(s, &a, &port, err, sizeof(err)))
		FUZZ_ASSERT(err[0]);
	else
		FUZZ_ASSERT(port >= 1);
	free(s);
	return 0;
}
