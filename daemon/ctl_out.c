// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_out.c - cgnatctl's small helpers: JSON strings, addresses and
 * times, and what the daemon leaves in its run directory.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "daemon/ctl.h"
#include "logger/timefmt.h"

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

void fmt_addr_be(uint32_t be, char *buf, size_t len)
{
	timefmt_format_addr(ntohl(be), buf, len);
}

void fmt_time(int64_t ms, char *buf, size_t len)
{
	if (ms < 0 || timefmt_format(ms, buf, len))
		snprintf(buf, len, "-");
}

int daemon_stats(const char *run_dir, const char *key, long long *val)
{
	char path[512], k[128];
	long long v;
	FILE *f;
	int rc = -ENOENT;

	snprintf(path, sizeof(path), "%s/cgnatd.stats", run_dir);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fscanf(f, "%127s %lld", k, &v) == 2) {
		if (!strcmp(k, key)) {
			*val = v;
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

int daemon_pid(const char *run_dir)
{
	char path[512];
	FILE *f;
	int pid = 0;

	snprintf(path, sizeof(path), "%s/cgnatd.pid", run_dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%d", &pid) != 1 || pid <= 0 ||
	    (kill(pid, 0) && errno == ESRCH))
		pid = 0;
	fclose(f);
	return pid;
}

int parse_sub(const char *s, uint32_t *addr)
{
	char err[TIMEFMT_ERR_LEN];

	if (timefmt_parse_addr(s, addr, err, sizeof(err))) {
		fprintf(stderr, "cgnatctl: %s\n", err);
		return -EINVAL;
	}
	return 0;
}
