// SPDX-License-Identifier: GPL-2.0
/*
 * ipfix_decode FILE...: prints every data record of IPFIX files (or raw
 * TCP streams saved to files) as one line of key=value pairs, decoded by
 * libfixbuf, for the interop scripts to grep. Exits 1 if a file cannot be
 * decoded to its end.
 */
#include <stdio.h>

#include "tests/interop/ipfix_decode.h"

static int print_rec(void *ctx, const struct ipfix_drec *r)
{
	char line[1024];

	(void)ctx;
	ipfix_drec_format(r, line, sizeof(line));
	printf("%s\n", line);
	return 0;
}

int main(int argc, char **argv)
{
	int i, ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: ipfix_decode FILE...\n");
		return 2;
	}
	for (i = 1; i < argc; i++)
		if (ipfix_decode_file(argv[i], print_rec, NULL) < 0)
			ret = 1;
	return ret;
}
