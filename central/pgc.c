// SPDX-License-Identifier: GPL-2.0
/*
 * pgc.c - see pgc.h. The loops follow libpq's documented non-blocking
 * protocol: PQconnectPoll() for the connection; PQsend*(), PQflush()
 * until 0 (POLLOUT while 1), PQconsumeInput() while PQisBusy() (POLLIN),
 * then PQgetResult() until NULL.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "central/pgc.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void set_err(struct pgc *p, const char *what, const char *msg)
{
	size_t n;

	snprintf(p->err, sizeof(p->err), "%s: %s", what,
		 msg && *msg ? msg : "unknown error");
	n = strlen(p->err); /* libpq messages end in newlines */
	while (n && (p->err[n - 1] == '\n' || p->err[n - 1] == ' '))
		p->err[--n] = '\0';
}

/* Wait for @events on the socket until @deadline; 0, or -1 (err) on
 * timeout, stop or a poll error. */
static int wait_sock(struct pgc *p, short events, long long deadline,
		     const char *what)
{
	struct pollfd f[2] = {
		{.fd = PQsocket(p->conn), .events = events},
		{.fd = p->stop_fd, .events = POLLIN},
	};
	long long left;
	int rc;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0) {
			set_err(p, what, "timed out");
			return -1;
		}
		rc = poll(f, p->stop_fd >= 0 ? 2 : 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			set_err(p, what, strerror(errno));
			return -1;
		}
		if (p->stop_fd >= 0 && f[1].revents) {
			set_err(p, what, "stopping");
			return -1;
		}
		if (rc)
			return 0;
	}
}

int pgc_connect(struct pgc *p, const char *url)
{
	long long deadline = now_ms() + p->timeout_ms;
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;

	pgc_close(p);
	p->conn = PQconnectStart(url);
	if (!p->conn || PQstatus(p->conn) == CONNECTION_BAD) {
		set_err(p, "connect",
			p->conn ? PQerrorMessage(p->conn) : "out of memory");
		pgc_close(p);
		return -1;
	}
	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED) {
			set_err(p, "connect", PQerrorMessage(p->conn));
			pgc_close(p);
			return -1;
		}
		if (wait_sock(p, st == PGRES_POLLING_READING ? POLLIN : POLLOUT,
			      deadline, "connect")) {
			pgc_close(p);
			return -1;
		}
		st = PQconnectPoll(p->conn);
	}
	if (PQsetnonblocking(p->conn, 1)) {
		set_err(p, "connect", PQerrorMessage(p->conn));
		pgc_close(p);
		return -1;
	}
	return 0;
}

void pgc_close(struct pgc *p)
{
	if (p->conn)
		PQfinish(p->conn);
	p->conn = NULL;
}

static int flush_all(struct pgc *p, long long deadline, const char *what)
{
	int rc;

	while ((rc = PQflush(p->conn)) == 1)
		if (wait_sock(p, POLLOUT | POLLIN, deadline, what))
			return -1;
	if (rc < 0) {
		set_err(p, what, PQerrorMessage(p->conn));
		return -1;
	}
	return 0;
}

/* The next result, waiting for it; NULL at the end or on failure
 * (*failed set). */
static PGresult *next_result(struct pgc *p, long long deadline,
			     const char *what, int *failed)
{
	while (PQisBusy(p->conn)) {
		if (wait_sock(p, POLLIN, deadline, what)) {
			*failed = 1;
			return NULL;
		}
		if (!PQconsumeInput(p->conn)) {
			set_err(p, what, PQerrorMessage(p->conn));
			*failed = 1;
			return NULL;
		}
	}
	return PQgetResult(p->conn);
}

/* Drain results to the end; keep the last one, or the first error. */
static PGresult *collect(struct pgc *p, long long deadline, const char *what,
			 ExecStatusType want)
{
	PGresult *r, *keep = NULL;
	int failed = 0, bad = 0;

	while ((r = next_result(p, deadline, what, &failed))) {
		ExecStatusType s = PQresultStatus(r);

		if (s == PGRES_COPY_IN || s == PGRES_COPY_OUT) {
			PQclear(keep);
			return r; /* the caller goes on with the copy */
		}
		if (bad) {
			PQclear(r);
			continue;
		}
		PQclear(keep);
		keep = r;
		if (s != want && s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
			bad = 1;
	}
	if (failed || !keep || PQresultStatus(keep) != want) {
		if (keep && !failed) {
			const char *c =
				PQresultErrorField(keep, PG_DIAG_SQLSTATE);

			snprintf(p->state, sizeof(p->state), "%s", c ? c : "");
			set_err(p, what,
				PQresultErrorMessage(keep)[0]
					? PQresultErrorMessage(keep)
					: PQresStatus(PQresultStatus(keep)));
		}
		PQclear(keep);
		if (failed || PQstatus(p->conn) == CONNECTION_BAD)
			pgc_close(p);
		return NULL;
	}
	return keep;
}

int pgc_send(struct pgc *p, const char *sql, int n, const char *const *vals)
{
	long long deadline = now_ms() + p->timeout_ms;
	int ok;

	p->err[0] = p->state[0] = '\0';
	if (!p->conn) {
		set_err(p, "query", "not connected");
		return -1;
	}
	ok = n < 0 ? PQsendQuery(p->conn, sql)
		   : PQsendQueryParams(p->conn, sql, n, NULL, vals, NULL, NULL,
				       0);
	if (!ok) {
		set_err(p, "query", PQerrorMessage(p->conn));
		pgc_close(p);
		return -1;
	}
	if (flush_all(p, deadline, "query")) {
		pgc_close(p);
		return -1;
	}
	return 0;
}

PGresult *pgc_result(struct pgc *p, ExecStatusType want)
{
	if (!p->conn)
		return NULL;
	return collect(p, now_ms() + p->timeout_ms, "query", want);
}

PGresult *pgc_exec(struct pgc *p, const char *sql, int n,
		   const char *const *vals, ExecStatusType want)
{
	if (pgc_send(p, sql, n, vals))
		return NULL;
	return pgc_result(p, want);
}

int pgc_cmd(struct pgc *p, const char *sql, int n, const char *const *vals)
{
	PGresult *r = pgc_exec(p, sql, n, vals, PGRES_COMMAND_OK);

	PQclear(r);
	return r ? 0 : -1;
}

int pgc_copy(struct pgc *p, const char *sql, const char *data, size_t len)
{
	long long deadline = now_ms() + p->timeout_ms;
	PGresult *r = pgc_exec(p, sql, -1, NULL, PGRES_COPY_IN);
	size_t off = 0, chunk;
	int rc;

	if (!r)
		return -1;
	PQclear(r);
	while (off < len) {
		chunk = len - off > 1 << 20 ? 1 << 20 : len - off;
		rc = PQputCopyData(p->conn, data + off, (int)chunk);
		if (rc < 0)
			goto broken;
		if (rc == 0) { /* would block: let the socket drain */
			if (wait_sock(p, POLLOUT, deadline, "copy") ||
			    PQflush(p->conn) < 0)
				goto broken;
			continue;
		}
		off += chunk;
	}
	while ((rc = PQputCopyEnd(p->conn, NULL)) == 0)
		if (wait_sock(p, POLLOUT, deadline, "copy"))
			goto broken;
	if (rc < 0 || flush_all(p, deadline, "copy"))
		goto broken;
	r = collect(p, deadline, "copy", PGRES_COMMAND_OK);
	PQclear(r);
	return r ? 0 : -1;
broken:
	if (!*p->err)
		set_err(p, "copy", PQerrorMessage(p->conn));
	pgc_close(p);
	return -1;
}

const char *pgc_sqlstate(const struct pgc *p)
{
	return p->state;
}
