/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz.h - what every libFuzzer target here defines. Built two ways: with
 * clang -fsanitize=fuzzer (make fuzz, FUZZ=1) and, with seed_main.c as
 * the driver, by the normal build, where make test runs each target over
 * its seed corpus (tests/fuzz/corpus/NAME) and every crash it ever found.
 */
#ifndef CGNAT_TEST_FUZZ_H
#define CGNAT_TEST_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A target's own check failed: abort, which libFuzzer reports. */
#define FUZZ_ASSERT(c)                                                      \
	do {                                                                \
		if (!(c))                                                   \
			fuzz_fail(#c, __FILE__, __LINE__);                  \
	} while (0)

void fuzz_fail(const char *what, const char *file, int line);

#endif /* CGNAT_TEST_FUZZ_H */
