// SPDX-License-Identifier: GPL-2.0
/*
 * seed_main.c - runs a fuzz target over every file of the directories
 * given, or with none over tests/fuzz/corpus/NAME and tests/fuzz/crashes/
 * NAME for a program called test_fuzzseed_NAME: the regression run of
 * make test, without clang or libFuzzer. A crash or a target's check
 * aborts the program, which tests/run.sh counts as a FAIL.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n > 0 ? n : 1);
	if (!buf || (n > 0 && fread(buf, 1, n, f) != (size_t)n)) {
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/'), *name;
	char dirs[2][4096], *dv[2] = { dirs[0], dirs[1] };
	int i, runs = 0, bad = 0;

	base = base ? base + 1 : argv[0];
	name = strncmp(base, "test_fuzzseed_", 14) ? base : base + 14;
	if (argc < 2) {
		snprintf(dirs[0], sizeof(dirs[0]), "%s/tests/fuzz/corpus/%s",
			 FUZZ_SRCDIR, name);
		snprintf(dirs[1], sizeof(dirs[1]), "%s/tests/fuzz/crashes/%s",
			 FUZZ_SRCDIR, name);
		argv = dv - 1;
		argc = access(dirs[1], F_OK) ? 2 : 3;
	}
	for (i = 1; i < argc; i++) {
		struct dirent **ents;
		int n = scandir(argv[i], &ents, NULL, alphasort), j;

		if (n < 0) {
			printf("FAIL: %s: no such corpus directory\n", argv[i]);
			bad++;
			continue;
		}
		for (j = 0; j < n; j++) {
			char path[4096];

			if (ents[j]->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", argv[i],
					 ents[j]->d_name);
				if (run_file(path)) {
					printf("FAIL: %s: unreadable\n", path);
					bad++;
				} else {
					runs++;
				}
			}
			free(ents[j]);
		}
		free(ents);
	}
	if (!bad && runs)
		printf("PASS: %s: %d inputs\n", name, runs);
	else if (!runs)
		printf("FAIL: %s: no inputs\n", name);
	return bad || !runs;
}
