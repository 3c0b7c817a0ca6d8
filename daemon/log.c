// SPDX-License-Identifier: GPL-2.0
/*
 * log.c - see log.h. One line per message, lower case, naming the object;
 * the process name is added by syslog or, in the foreground, here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "daemon/log.h"

static const char *log_ident = "cgnatd";
static int log_fg = 1;
static int log_verbose;
static int log_journal; /* stderr is the journal: prefix <N> */

void log_init(const char *ident, int foreground, int verbose)
{
	log_ident = ident;
	log_verbose = verbose;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
	log_foreground(foreground);
}

void log_foreground(int foreground)
{
	log_fg = foreground;
	if (!foreground)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_msg(int level, const char *msg)
{
	if (level == LOG_DEBUG && !log_verbose)
		return;
	if (!log_fg) {
		syslog(level, "%s", msg);
		return;
	}
	if (log_journal)
		fprintf(stderr, "<%d>%s\n", level, msg);
	else
		fprintf(stderr, "%s: %s\n", log_ident, msg);
	fflush(stderr);
}

void log_vlog(int pri, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	log_msg(pri, buf);
}

/* As log_vlog, with ": strerror(err)" appended when err is set. */
static void vlog_err(int pri, int err, const char *fmt, va_list ap)
{
	char buf[1024];
	size_t n;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	if (err)
		snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(err));
	log_msg(pri, buf);
}

void log_warn(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog_err(LOG_WARNING, err, fmt, ap);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog_err(LOG_CRIT, err, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}
