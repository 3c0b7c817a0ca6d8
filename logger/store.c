// SPDX-License-Identifier: GPL-2.0
/*
 * Opening, closing and batching for the compliance log store, plus the
 * helpers the other store_*.c files share: the prepared statement table,
 * error mapping and row decoding. The connection settings here are what
 * makes the log trustworthy: WAL so cgnatctl can read while cgnatd
 * writes, synchronous=FULL so a committed release survives power loss.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logger/store_internal.h"
#include "schema/migrations.h"

/* A writer waiting for a reader's lock (checkpoint) or the reverse. */
#define STORE_BUSY_MS 5000
/* Page cache of the writer, KiB: holds the upper levels of every index
 * and all of open_blocks, which every block event touches. */
#define STORE_CACHE_KIB 65536
/* Checkpoint when the WAL passes this many pages (64 MiB): a long
 * interval lets a page dirtied by many batches (the current release
 * hour's, open_blocks') reach the database file once. */
#define STORE_WAL_PAGES 16384
/* Map the database for reading (SQLite caps this at about 2 GiB): index
 * pages outside the page cache are then read without a pread(2) each,
 * which on a VM costs more than the B-tree work itself. */
#define STORE_MMAP_BYTES 2147418112LL
/* Page size of new files. 1 KiB and 2 KiB pages write fewer bytes per
 * random index update but cost more CPU per row; 4 KiB measured best. */
#define STORE_PAGE_SIZE 4096
/* New databases hold subscriber data: owner and group only. */
#define STORE_FILE_MODE 0640

int store_sqlite_errno(sqlite3 *db, int rc)
{
	int sys = db ? sqlite3_system_errno(db) : 0;

	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return -EEXIST;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return -ENOENT;
	}
	switch (rc & 0xff) {
	case SQLITE_OK:
		return 0;
	case SQLITE_ERROR: /* SQL error: bad schema or statement */
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
	case SQLITE_TOOBIG:
		return -EINVAL;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	case SQLITE_CANTOPEN:
		return sys ? -sys : -ENOENT;
	case SQLITE_IOERR:
		return sys ? -sys : -EIO;
	default:
		return -EIO;
	}
}

int store_fail(struct store *st, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->errbuf, sizeof(st->errbuf), fmt, ap);
	va_end(ap);
	return ret;
}

int store_fail_sqlite(struct store *st, int rc, const char *what)
{
	return store_fail(st, store_sqlite_errno(st->db, rc), "%s: %s", what,
			  sqlite3_errmsg(st->db));
}

const char *store_errmsg(const struct store *st)
{
	return st ? st->errbuf : "no store";
}

int store_schema_version(struct store *st)
{
	return st->version;
}

int store_stmt(struct store *st, enum store_stmt_id id, sqlite3_stmt **out)
{
	sqlite3_stmt *s = st->stmt[id];
	int rc;

	if (!s) {
		rc = sqlite3_prepare_v3(st->db, store_sql[id], -1,
					SQLITE_PREPARE_PERSISTENT, &s, NULL);
		if (rc != SQLITE_OK)
			return store_fail_sqlite(st, rc, "prepare statement");
		st->stmt[id] = s;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	*out = s;
	return 0;
}

static int64_t col_ms(sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return STORE_MS_NONE;
	return sqlite3_column_int64(s, col);
}

void store_row_block(sqlite3_stmt *s, struct store_block *b)
{
	const unsigned char *pool = sqlite3_column_text(s, 3);

	memset(b, 0, sizeof(*b));
	b->id = sqlite3_column_int64(s, 0);
	b->instance = (uint32_t)sqlite3_column_int64(s, 1);
	b->pool_id = (uint32_t)sqlite3_column_int64(s, 2);
	snprintf(b->pool, sizeof(b->pool), "%s",
		 pool ? (const char *)pool : "");
	b->sub_addr = (uint32_t)sqlite3_column_int64(s, 4);
	b->ext_addr = (uint32_t)sqlite3_column_int64(s, 5);
	b->port_first = (uint16_t)sqlite3_column_int(s, 6);
	b->port_last = (uint16_t)sqlite3_column_int(s, 7);
	b->assigned_ms = sqlite3_column_int64(s, 8);
	b->released_ms = col_ms(s, 9);
	b->release_reason = sqlite3_column_int(s, 10);
}

int store_iterate(struct store *st, sqlite3_stmt *s, store_block_cb cb,
		  void *ctx, const char *what)
{
	struct store_block b;
	int n = 0, rc, ret;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_row_block(s, &b);
		n++;
		ret = cb ? cb(&b, ctx) : 0;
		if (ret < 0) {
			sqlite3_reset(s);
			return store_fail(st, ret, "%s: callback: %s", what,
					  strerror(-ret));
		}
		if (ret > 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		ret = store_fail_sqlite(st, rc, what);
		sqlite3_reset(s);
		return ret;
	}
	sqlite3_reset(s);
	return n;
}

int64_t store_memory_used(void)
{
	return sqlite3_memory_used();
}

/* Pragmas of a connection. journal_mode=WAL lets readers run beside the
 * writer. synchronous=FULL fsyncs the WAL on every commit: with NORMAL a
 * power cut can undo the last commits, and a release we lost could let the
 * allocator (which only reuses a block once its release is committed) hand
 * the block to someone else while the log still shows the old holder.
 * foreign_keys: schemas 1-4 declare one (interim to blocks, with ON
 * DELETE CASCADE), and their migrations run as they were written. */
static int store_setup_rw(struct store *st)
{
	sqlite3_stmt *s;
	char sql[256];
	int rc;

	snprintf(sql, sizeof(sql), "PRAGMA page_size = %d", STORE_PAGE_SIZE);
	rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return store_fail_sqlite(st, rc, "set page_size");
	rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s,
				NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(s, 0), "wal") != 0)
		rc = SQLITE_CANTOPEN;
	else if (rc == SQLITE_ROW)
		rc = SQLITE_OK;
	sqlite3_finalize(s);
	if (rc != SQLITE_OK)
		return store_fail_sqlite(st, rc, "set journal_mode=WAL");
	snprintf(sql, sizeof(sql),
		 "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; "
		 "PRAGMA cache_size = -%d; PRAGMA wal_autocheckpoint = %d; "
		 "PRAGMA journal_size_limit = %d; PRAGMA mmap_size = %lld;",
		 STORE_CACHE_KIB, STORE_WAL_PAGES, STORE_WAL_PAGES * 4096,
		 STORE_MMAP_BYTES);
	rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return store_fail_sqlite(st, rc, "set pragmas");
	return 0;
}

static int store_mmap(struct store *st)
{
	char sql[64];
	int rc;

	snprintf(sql, sizeof(sql), "PRAGMA mmap_size = %lld", STORE_MMAP_BYTES);
	rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : store_fail_sqlite(st, rc, "set mmap_size");
}

/* Create the file ourselves so it gets STORE_FILE_MODE; SQLite would use
 * 0644. The -wal and -shm files inherit the database file's mode. */
static int store_create_file(struct store *st, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		      STORE_FILE_MODE);

	if (fd < 0 && errno != EEXIST)
		return store_fail(st, -errno, "create %s: %s", path,
				  strerror(errno));
	if (fd >= 0)
		close(fd);
	return 0;
}

static int store_new(struct store **out, char *err, size_t len)
{
	*out = calloc(1, sizeof(**out));
	if (!*out) {
		if (len)
			snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	(*out)->max_span = -1;
	return 0;
}

static int store_connect(struct store *st, const char *path, int flags)
{
	int rc;

	rc = sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		if (!st->db)
			return store_fail(st, -ENOMEM, "open %s: out of memory",
					  path);
		return store_fail(st, store_sqlite_errno(st->db, rc),
				  "open %s: %s (%s)", path,
				  sqlite3_errmsg(st->db),
				  strerror(sqlite3_system_errno(st->db)));
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	return 0;
}

/* Common tail of both open functions: report and free on failure. */
static int store_open_done(struct store *st, int ret, struct store **out,
			   char *err, size_t len)
{
	if (ret < 0) {
		if (len)
			snprintf(err, len, "%s", st->errbuf);
		store_close(st);
		*out = NULL;
		return ret;
	}
	*out = st;
	return 0;
}

int store_open(const char *path, struct store **out, char *err, size_t len)
{
	size_t n = sizeof(schema_migrations) / sizeof(schema_migrations[0]);
	struct store *st;
	char msg[256];
	int ret;

	ret = store_new(&st, err, len);
	if (ret < 0)
		return ret;
	ret = store_create_file(st, path);
	if (!ret)
		ret = store_connect(st, path,
				    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	if (!ret)
		ret = store_setup_rw(st);
	if (!ret) {
		ret = store_migrate(st->db, schema_migrations, n, &st->version,
				    msg, sizeof(msg));
		if (ret < 0)
			store_fail(st, ret, "%s: %s", path, msg);
	}
	if (!ret)
		ret = store_held_sync(st);
	return store_open_done(st, ret, out, err, len);
}

int store_open_ro(const char *path, struct store **out, char *err, size_t len)
{
	struct store *st;
	int ret, rc;

	ret = store_new(&st, err, len);
	if (ret < 0)
		return ret;
	st->readonly = true;
	if (access(path, F_OK) != 0)
		ret = store_fail(st, -errno, "open %s: %s", path,
				 strerror(errno));
	if (!ret)
		ret = store_connect(st, path, SQLITE_OPEN_READONLY);
	if (!ret)
		ret = store_mmap(st);
	if (!ret) {
		rc = store_read_version(st->db, &st->version);
		if (rc != SQLITE_OK)
			ret = store_fail(st, store_sqlite_errno(st->db, rc),
					 "read %s: %s", path,
					 sqlite3_errmsg(st->db));
	}
	if (!ret && st->version != SCHEMA_VERSION)
		ret = store_fail(st, -EPROTO,
				 "%s: schema version %d, this build reads "
				 "version %d%s",
				 path, st->version, SCHEMA_VERSION,
				 st->version < SCHEMA_VERSION ?
					 " (start cgnatd once to migrate)" :
					 " (upgrade cgnatctl)");
	return store_open_done(st, ret, out, err, len);
}

void store_close(struct store *st)
{
	int i;

	if (!st)
		return;
	for (i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db) {
		if (st->in_tx)
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close_v2(st->db);
	}
	held_free(&st->held);
	free(st);
}

static int store_exec(struct store *st, const char *sql)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : store_fail_sqlite(st, rc, sql);
}

/* IMMEDIATE takes the write lock now: a batch never fails half-way on a
 * lock another writer holds. */
int store_begin(struct store *st)
{
	int ret;

	if (st->in_tx)
		return store_fail(st, -EBUSY, "begin: a batch is already open");
	ret = store_exec(st, "BEGIN IMMEDIATE");
	if (!ret)
		st->in_tx = true;
	if (!ret && !st->readonly && st->held_ok && store_held_check(st))
		st->held_ok = false; /* reloaded at the first write */
	return ret;
}

int store_commit(struct store *st)
{
	int ret;

	if (!st->in_tx)
		return store_fail(st, -EINVAL, "commit: no batch is open");
	if (st->tx_broken) {
		store_rollback(st);
		return store_fail(st, -EIO, "commit: a block write of this "
				  "batch failed half-way; rolled back");
	}
	ret = store_exec(st, "COMMIT");
	/* A failed COMMIT may leave the transaction open (e.g. SQLITE_BUSY);
	 * the caller then rolls back or retries. */
	if (!ret || sqlite3_get_autocommit(st->db))
		st->in_tx = false;
	if (ret < 0) { /* the batch may have been rolled back */
		st->max_span = -1;
		st->held_ok = false;
	}
	return ret;
}

int store_rollback(struct store *st)
{
	int ret;

	if (!st->in_tx)
		return store_fail(st, -EINVAL, "rollback: no batch is open");
	ret = store_exec(st, "ROLLBACK");
	st->in_tx = false;
	st->tx_broken = false;
	st->max_span = -1;
	st->held_ok = false;
	return ret;
}
