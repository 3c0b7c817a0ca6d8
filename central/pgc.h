/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pgc.h - libpq in non-blocking mode with deadlines, for the shipper's
 * thread: every wait is a poll() on the server socket and on a stop
 * descriptor, so a dead or slow server costs at most the deadline and a
 * stop request is answered at once. One connection, one caller.
 */
#ifndef CGNAT_CENTRAL_PGC_H
#define CGNAT_CENTRAL_PGC_H

#include <stddef.h>
#include <libpq-fe.h>

struct pgc {
	PGconn *conn; /* NULL while not connected */
	int stop_fd; /* readable: give up now (-1: none) */
	int timeout_ms; /* per call */
	char err[256]; /* why the last call failed */
	char state[8]; /* its SQLSTATE, "" if none */
};

/* Connect to @url (a libpq URI or key=value string). 0 or -1 (err). */
int pgc_connect(struct pgc *p, const char *url);
void pgc_close(struct pgc *p);

/*
 * Run @sql with @n text parameters (n < 0: simple protocol, several
 * statements allowed) and wait for its results. Returns the last result
 * (the caller PQclear()s it) when it has status @want, else NULL with
 * err set; a NULL also closes the connection when it is broken.
 */
PGresult *pgc_exec(struct pgc *p, const char *sql, int n,
		   const char *const *vals, ExecStatusType want);
/* pgc_exec() in two halves, to work while the server does: send (0 or
 * -1), then wait for the results. */
int pgc_send(struct pgc *p, const char *sql, int n, const char *const *vals);
PGresult *pgc_result(struct pgc *p, ExecStatusType want);

/* As pgc_exec() for commands: 0 or -1. */
int pgc_cmd(struct pgc *p, const char *sql, int n, const char *const *vals);

/* "COPY ... FROM STDIN" @sql, then @len bytes of COPY text. 0 or -1. */
int pgc_copy(struct pgc *p, const char *sql, const char *data, size_t len);

/* The SQLSTATE of the last failed statement ("" if none/unknown). */
const char *pgc_sqlstate(const struct pgc *p);

#endif /* CGNAT_CENTRAL_PGC_H */
