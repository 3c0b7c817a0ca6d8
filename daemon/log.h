/* SPDX-License-Identifier: GPL-2.0 */
/*
 * log.h - the daemon's logging, after OpenBSD ntpd: stderr in the
 * foreground (with a <N> priority prefix when stderr is the systemd
 * journal), syslog otherwise. log_warn() appends strerror(errno);
 * log_warnx() does not. fatal()/fatalx() log and exit(1): only main()'s
 * helpers call them.
 */
#ifndef CGNAT_DAEMON_LOG_H
#define CGNAT_DAEMON_LOG_H

#include <stdarg.h>

void log_init(const char *ident, int foreground, int verbose);
/* Switch between stderr (1) and syslog (0), e.g. after daemonizing. */
void log_foreground(int foreground);
void log_vlog(int pri, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/* For modules that report through a callback (exporter/): level is LOG_*. */
void log_msg(int level, const char *msg);

#endif /* CGNAT_DAEMON_LOG_H */
