// SPDX-License-Identifier: GPL-2.0
/*
 * cfg_values.c - parsing and printing of the scalars the configuration is
 * made of: unsigned integers, booleans, durations, IPv4 addresses and
 * prefixes, port ranges, plus the edit distance used to suggest a key.
 * Everything here is pure; the parsers are strict (no signs, no leading
 * zeros, no trailing text) so that a typo is reported rather than guessed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/cfg.h"
#include "config/cfg_internal.h"

#define MS_PER_S 1000ULL
#define MS_PER_H (3600ULL * MS_PER_S)
#define MS_PER_D (24ULL * MS_PER_H)

/* Parse the leading decimal digits of s; *end points past them. */
static int parse_digits(const char *s, uint64_t max, uint64_t *out,
			const char **end)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	if (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (d > max || v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	*end = p;
	return 0;
}

int cfg_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	const char *end;
	int ret;

	ret = parse_digits(s, max, out, &end);
	if (ret)
		return ret;
	return *end ? -EINVAL : 0;
}

int cfg_parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "true"))
		*out = true;
	else if (!strcmp(s, "false"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

int cfg_parse_duration(const char *s, uint64_t *ms)
{
	static const struct {
		const char *suffix;
		uint64_t scale;
	} units[] = {
		{ "", MS_PER_S },	{ "ms", 1 },	  { "s", MS_PER_S },
		{ "m", 60 * MS_PER_S }, { "h", MS_PER_H }, { "d", MS_PER_D },
	};
	const char *end;
	uint64_t v;
	size_t i;
	int ret;

	ret = parse_digits(s, UINT64_MAX, &v, &end);
	if (ret)
		return ret;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix))
			continue;
		if (v > UINT64_MAX / units[i].scale)
			return -ERANGE;
		*ms = v * units[i].scale;
		return 0;
	}
	return -EINVAL;
}

void cfg_format_duration(uint64_t ms, char *buf, size_t len)
{
	unsigned long long v = ms;

	if (ms && ms % MS_PER_D == 0 && ms >= 2 * MS_PER_D)
		snprintf(buf, len, "%llud", v / MS_PER_D);
	else if (ms && ms % MS_PER_H == 0 && ms >= 2 * MS_PER_H)
		snprintf(buf, len, "%lluh", v / MS_PER_H);
	else if (ms % MS_PER_S == 0)
		snprintf(buf, len, "%llus", v / MS_PER_S);
	else
		snprintf(buf, len, "%llums", v);
}

int cfg_parse_ipv4(const char *s, uint32_t *addr)
{
	uint32_t a = 0;
	const char *p = s;
	uint64_t octet;
	int i, ret;

	for (i = 0; i < 4; i++) {
		ret = parse_digits(p, 255, &octet, &p);
		if (ret)
			return -EINVAL;
		a = a << 8 | (uint32_t)octet;
		if (i < 3 && *p++ != '.')
			return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	*addr = a;
	return 0;
}

uint32_t cfg_prefix_mask(uint8_t len)
{
	return len ? ~0U << (32 - len) : 0;
}

int cfg_parse_prefix(const char *s, uint32_t *addr, uint8_t *len)
{
	char buf[sizeof("255.255.255.255")];
	const char *slash = strchr(s, '/');
	const char *end;
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t l = 32;

	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (cfg_parse_ipv4(buf, addr))
		return -EINVAL;
	if (slash && (parse_digits(slash + 1, 32, &l, &end) || *end))
		return -EINVAL;
	*len = (uint8_t)l;
	return 0;
}

int cfg_parse_port_range(const char *s, uint32_t *first, uint32_t *last)
{
	uint64_t a, b;
	const char *end;

	if (parse_digits(s, 65535, &a, &end) || *end != '-')
		return -EINVAL;
	if (parse_digits(end + 1, 65535, &b, &end) || *end)
		return -EINVAL;
	if (a > b)
		return -ERANGE;
	*first = (uint32_t)a;
	*last = (uint32_t)b;
	return 0;
}

void cfg_format_ipv4(uint32_t addr, char *buf, size_t buflen)
{
	snprintf(buf, buflen, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff,
		 (addr >> 8) & 0xff, addr & 0xff);
}

void cfg_format_prefix(uint32_t addr, uint8_t len, char *buf, size_t buflen)
{
	char a[sizeof("255.255.255.255")];

	cfg_format_ipv4(addr, a, sizeof(a));
	if (len == 32)
		snprintf(buf, buflen, "%s", a);
	else
		snprintf(buf, buflen, "%s/%u", a, len);
}

/* Levenshtein distance, for "did you mean"; keys are short. */
unsigned int cfg_edit_distance(const char *a, const char *b)
{
	unsigned int row[CFG_KEY_MAX + 1];
	size_t la = strlen(a), lb = strlen(b), i, j;

	if (la > CFG_KEY_MAX || lb > CFG_KEY_MAX)
		return ~0U;
	for (j = 0; j <= lb; j++)
		row[j] = (unsigned int)j;
	for (i = 1; i <= la; i++) {
		unsigned int diag = row[0], up;

		row[0] = (unsigned int)i;
		for (j = 1; j <= lb; j++) {
			unsigned int best = diag + (a[i - 1] != b[j - 1]);

			up = row[j];
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}
