// SPDX-License-Identifier: GPL-2.0
/*
 * Pure parser and printer for lookup times and addresses (see timefmt.h
 * for the accepted forms). Calendar arithmetic is the proleptic Gregorian
 * days-from-civil algorithm (H. Hinnant), so no libc time zone state is
 * touched and the result never depends on TZ. Error messages quote the
 * input (cut to 64 characters) and say what would have been accepted.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "logger/timefmt.h"

#define MS_PER_DAY 86400000LL
#define MAX_EPOCH_S 253402300799LL /* 9999-12-31T23:59:59Z */

static int fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Read exactly @n digits at *p into *v. */
static bool take_digits(const char **p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!is_digit((*p)[i]))
			return false;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return true;
}

static size_t count_digits(const char *p)
{
	size_t n = 0;

	while (is_digit(p[n]))
		n++;
	return n;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* ".ddd…" at *p: milliseconds, truncated. 0 digits or more than 9 is an
 * error; no '.' leaves *frac_ms at 0. */
static bool take_fraction(const char **p, int *frac_ms)
{
	size_t n, i;

	*frac_ms = 0;
	if (**p != '.')
		return true;
	n = count_digits(*p + 1);
	if (n == 0 || n > 9)
		return false;
	for (i = 0; i < 3; i++)
		*frac_ms = *frac_ms * 10 + (i < n ? (*p)[1 + i] - '0' : 0);
	*p += 1 + n;
	return true;
}

static int parse_epoch(const char *s, bool at, int64_t *ms, char *err,
		       size_t len)
{
	const char *p = s + (at ? 1 : 0);
	size_t n = count_digits(p);
	int64_t v = 0;
	int frac = 0;
	size_t i;

	if (n == 0)
		return fail(err, len, "time '%.64s': expected seconds after @",
			    s);
	if (!at && (n == 11 || n == 12 || n > 13))
		return fail(err, len,
			    "time '%.64s': %zu digits is neither epoch seconds "
			    "(up to 10 digits) nor epoch milliseconds (13 "
			    "digits); write @SECONDS for seconds",
			    s, n);
	if (at && n > 12)
		return fail(err, len, "time '%.64s': after 9999-12-31", s);
	for (i = 0; i < n; i++)
		v = v * 10 + (p[i] - '0');
	p += n;
	if (*p == '.' && !at && n == 13)
		return fail(err, len,
			    "time '%.64s': epoch milliseconds take no "
			    "fraction",
			    s);
	if (!take_fraction(&p, &frac))
		return fail(err, len,
			    "time '%.64s': a fraction needs 1 to 9 digits", s);
	if (*p)
		return fail(err, len,
			    "time '%.64s': unexpected '%c' at position %zu", s,
			    *p, (size_t)(p - s) + 1);
	if (at || n <= 10)
		v = v * 1000 + frac;
	if (v > TIMEFMT_MAX_MS)
		return fail(err, len, "time '%.64s': after 9999-12-31", s);
	*ms = v;
	return 0;
}

struct civil {
	int y, mo, d, h, mi, s, frac_ms;
	int zone_min; /* minutes east of UTC */
};

/* Zone at *p: Z, +HH:MM, +HHMM or +HH. */
static int parse_zone(const char *s, const char *p, struct civil *c, char *err,
		      size_t len)
{
	int sign, hh, mm = 0;

	if ((*p == 'Z' || *p == 'z') && !p[1])
		return 0;
	if (!*p)
		return fail(err, len,
			    "time '%.64s' has no time zone, which is "
			    "ambiguous; append Z for UTC or an offset such as "
			    "+01:00",
			    s);
	sign = *p == '+' ? 1 : *p == '-' ? -1 : 0;
	if (!sign)
		goto bad;
	p++;
	if (!take_digits(&p, 2, &hh))
		goto bad;
	if (*p == ':') {
		p++;
		if (!take_digits(&p, 2, &mm))
			goto bad;
	} else if (*p && !take_digits(&p, 2, &mm)) {
		goto bad;
	}
	if (*p)
		goto bad;
	if (hh > 23 || mm > 59)
		return fail(err, len,
			    "time '%.64s': zone offset %02d:%02d is out of "
			    "range",
			    s, hh, mm);
	c->zone_min = sign * (hh * 60 + mm);
	return 0;
bad:
	return fail(err, len,
		    "time '%.64s': bad time zone; use Z, +HH:MM, +HHMM or +HH",
		    s);
}

static int check_fields(const char *s, const struct civil *c, char *err,
			size_t len)
{
	if (c->y < 1970)
		return fail(err, len, "time '%.64s' is before 1970", s);
	if (c->mo < 1 || c->mo > 12)
		return fail(err, len, "time '%.64s': month %d is out of range",
			    s, c->mo);
	if (c->d < 1 || c->d > days_in_month(c->y, c->mo))
		return fail(err, len,
			    "time '%.64s': day %d is out of range for "
			    "%04d-%02d",
			    s, c->d, c->y, c->mo);
	if (c->h > 23)
		return fail(err, len, "time '%.64s': hour %d is out of range",
			    s, c->h);
	if (c->mi > 59)
		return fail(err, len, "time '%.64s': minute %d is out of range",
			    s, c->mi);
	if (c->s > 59)
		return fail(err, len,
			    "time '%.64s': second %d is out of range (leap "
			    "seconds cannot be represented)",
			    s, c->s);
	return 0;
}

/* YYYY-MM-DD[Tt ]HH:MM[:SS[.f]] into @c; returns the rest in *rest. */
static int parse_civil(const char *s, struct civil *c, const char **rest,
		       char *err, size_t len)
{
	const char *p = s;

	if (!take_digits(&p, 4, &c->y) || *p++ != '-' ||
	    !take_digits(&p, 2, &c->mo) || *p != '-')
		goto bad;
	p++;
	if (!take_digits(&p, 2, &c->d))
		goto bad;
	if (!*p)
		return fail(err, len,
			    "time '%.64s' is a date without a time of day; "
			    "write e.g. %.10sT00:00:00Z",
			    s, s);
	if (*p != 'T' && *p != 't' && *p != ' ')
		goto bad;
	p++;
	if (!take_digits(&p, 2, &c->h) || *p++ != ':' ||
	    !take_digits(&p, 2, &c->mi))
		goto bad;
	if (*p == ':') {
		p++;
		if (!take_digits(&p, 2, &c->s))
			goto bad;
		if (!take_fraction(&p, &c->frac_ms))
			return fail(err, len,
				    "time '%.64s': a fraction needs 1 to 9 "
				    "digits",
				    s);
	}
	*rest = p;
	return 0;
bad:
	return fail(err, len,
		    "time '%.64s': expected YYYY-MM-DDTHH:MM:SS with a zone, "
		    "e.g. 2026-11-24T10:15:03Z",
		    s);
}

static int parse_iso(const char *s, int64_t *ms, char *err, size_t len)
{
	struct civil c = { 0 };
	const char *rest = "";
	int64_t v;
	int ret;

	ret = parse_civil(s, &c, &rest, err, len);
	if (!ret)
		ret = check_fields(s, &c, err, len);
	if (!ret)
		ret = parse_zone(s, rest, &c, err, len);
	if (ret < 0)
		return ret;
	v = days_from_civil(c.y, c.mo, c.d) * MS_PER_DAY +
	    ((int64_t)c.h * 3600 + c.mi * 60 + c.s) * 1000 + c.frac_ms -
	    (int64_t)c.zone_min * 60000;
	if (v < 0)
		return fail(err, len, "time '%.64s' is before 1970", s);
	if (v > TIMEFMT_MAX_MS)
		return fail(err, len, "time '%.64s': after 9999-12-31", s);
	*ms = v;
	return 0;
}

int timefmt_parse(const char *s, int64_t *ms, char *err, size_t len)
{
	size_t n;

	if (!s || !*s)
		return fail(err, len, "empty time");
	if (s[0] == '@')
		return parse_epoch(s, true, ms, err, len);
	n = count_digits(s);
	if (n == 4 && s[4] == '-')
		return parse_iso(s, ms, err, len);
	if (n > 0 && (s[n] == '\0' || s[n] == '.'))
		return parse_epoch(s, false, ms, err, len);
	return fail(err, len,
		    "time '%.64s' not understood; use 2026-11-24T10:15:03Z, "
		    "an offset such as +01:00, epoch seconds (1764000000), "
		    "epoch milliseconds (1764000000123) or @SECONDS",
		    s);
}

int timefmt_format(int64_t ms, char *buf, size_t len)
{
	int y, mo, d;
	int64_t day, rem;

	if (len < TIMEFMT_LEN) {
		if (len >= 2)
			snprintf(buf, len, "-");
		return -ENOSPC;
	}
	if (ms < 0 || ms > TIMEFMT_MAX_MS) {
		snprintf(buf, len, "-");
		return -EINVAL;
	}
	day = ms / MS_PER_DAY;
	rem = ms % MS_PER_DAY;
	civil_from_days(day, &y, &mo, &d);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, mo, d,
		 (int)(rem / 3600000), (int)(rem / 60000 % 60),
		 (int)(rem / 1000 % 60), (int)(rem % 1000));
	return 0;
}

/* One octet at *p: 1-3 digits, no leading zero, at most 255. */
static int take_octet(const char *s, const char **p, uint32_t *v, char *err,
		      size_t len)
{
	size_t n = count_digits(*p);
	int i, x = 0;

	if (n == 0 || n > 3)
		return fail(err, len,
			    "address '%.64s': expected a dotted-quad IPv4 "
			    "address such as 203.0.113.7",
			    s);
	if (n > 1 && **p == '0')
		return fail(err, len,
			    "address '%.64s': octet '%.*s' has a leading zero",
			    s, (int)n, *p);
	for (i = 0; i < (int)n; i++)
		x = x * 10 + ((*p)[i] - '0');
	if (x > 255)
		return fail(err, len, "address '%.64s': octet %d is above 255",
			    s, x);
	*v = (*v << 8) | (uint32_t)x;
	*p += n;
	return 0;
}

int timefmt_parse_addr(const char *s, uint32_t *addr, char *err, size_t len)
{
	const char *p = s;
	uint32_t v = 0;
	int i, ret;

	if (!s || !*s)
		return fail(err, len, "empty address");
	for (i = 0; i < 4; i++) {
		if (i > 0 && *p++ != '.')
			goto bad;
		ret = take_octet(s, &p, &v, err, len);
		if (ret < 0)
			return ret;
	}
	if (*p)
		goto bad;
	*addr = v;
	return 0;
bad:
	return fail(err, len,
		    "address '%.64s': expected a dotted-quad IPv4 address such "
		    "as 203.0.113.7",
		    s);
}

int timefmt_parse_endpoint(const char *s, uint32_t *addr, uint16_t *port,
			   char *err, size_t len)
{
	char host[TIMEFMT_ADDR_LEN];
	const char *colon;
	size_t n;
	long v = 0;

	if (!s || !*s)
		return fail(err, len, "empty endpoint");
	colon = strchr(s, ':');
	if (s[0] == '[' || (colon && strchr(colon + 1, ':')))
		return fail(err, len,
			    "endpoint '%.64s': IPv6 is not supported; expected "
			    "IPv4:PORT",
			    s);
	if (!colon)
		return fail(err, len,
			    "endpoint '%.64s': expected IP:PORT such as "
			    "203.0.113.7:40123",
			    s);
	if (colon == s)
		return fail(err, len, "endpoint '%.64s': address is missing",
			    s);
	n = count_digits(colon + 1);
	if (n == 0 || colon[1 + n])
		return fail(err, len, "endpoint '%.64s': port is not a number",
			    s);
	for (size_t i = 0; i < n && v <= 65535; i++)
		v = v * 10 + (colon[1 + i] - '0');
	if (v == 0 || v > 65535)
		return fail(err, len,
			    "endpoint '%.64s': port must be 1 to 65535", s);
	if ((size_t)(colon - s) >= sizeof(host))
		return fail(err, len,
			    "address '%.*s': expected a dotted-quad IPv4 "
			    "address such as 203.0.113.7",
			    (int)(colon - s > 64 ? 64 : colon - s), s);
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (timefmt_parse_addr(host, addr, err, len) < 0)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

void timefmt_format_addr(uint32_t addr, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255,
		 (addr >> 8) & 255, addr & 255);
}
