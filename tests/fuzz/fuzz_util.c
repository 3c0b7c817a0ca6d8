// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_util.c - see fuzz.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz.h"

void fuzz_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, what);
	abort();
}
