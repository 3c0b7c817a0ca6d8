/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsing and printing of the times and addresses an operator types into
 * `cgnatctl lookup IP:PORT --at TIME`. Pure functions: no clock, no locale,
 * no time zone database; times are int64_t milliseconds since the UNIX
 * epoch, UTC. Accepted times:
 *
 *   2026-11-24T10:15:03Z, 2026-11-24T10:15:03.123Z   ISO 8601 / RFC 3339
 *   2026-11-24T10:15:03+01:00 (also +0100, +01, -05:00, a space for T,
 *   lower-case t/z, minutes without seconds: 2026-11-24T10:15Z)
 *   1764000000        epoch seconds: 1 to 10 digits
 *   1764000000123     epoch milliseconds: exactly 13 digits
 *   @1764000000       epoch seconds whatever the digit count (1 to 12)
 *   1764000000.5, @1764000000.123   seconds with a fraction
 *
 * 11 and 12 bare digits are refused as ambiguous, and so is a date-time
 * without a zone: the reader's local time is not the log's. Fractions
 * finer than a millisecond are truncated (1.9999 s is 1999 ms), never
 * rounded up into the next millisecond. Leap seconds (:60) cannot be
 * represented and are refused. Years are 1970 to 9999.
 *
 * Every parse function returns 0 or -EINVAL and then writes a one-line
 * message naming the input into @err (when @len is not 0).
 */
#ifndef CGNAT_LOGGER_TIMEFMT_H
#define CGNAT_LOGGER_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* "2026-11-24T10:15:03.123Z" and its NUL. */
#define TIMEFMT_LEN 25
/* "255.255.255.255" and its NUL. */
#define TIMEFMT_ADDR_LEN 16
/* Room for any message of this module. */
#define TIMEFMT_ERR_LEN 256
/* 9999-12-31T23:59:59.999Z, the last instant we parse or print. */
#define TIMEFMT_MAX_MS 253402300799999LL

/* Parse a user time into UTC milliseconds. */
int timefmt_parse(const char *s, int64_t *ms, char *err, size_t len);

/*
 * Print @ms as 2026-11-24T10:15:03.123Z. -EINVAL for a negative time or
 * one after TIMEFMT_MAX_MS, -ENOSPC if @len < TIMEFMT_LEN; @buf then holds
 * "-" when there is room for it.
 */
int timefmt_format(int64_t ms, char *buf, size_t len);

/* Parse a dotted-quad IPv4 address into host byte order. Octets are
 * decimal without leading zeros (010 could mean 8 or 10). */
int timefmt_parse_addr(const char *s, uint32_t *addr, char *err, size_t len);

/* Parse IPv4:PORT (port 1 to 65535); host byte order. */
int timefmt_parse_endpoint(const char *s, uint32_t *addr, uint16_t *port,
			   char *err, size_t len);

/* Print a host-order IPv4 address; @len >= TIMEFMT_ADDR_LEN always fits. */
void timefmt_format_addr(uint32_t addr, char *buf, size_t len);

#endif /* CGNAT_LOGGER_TIMEFMT_H */
