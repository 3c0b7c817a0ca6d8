# SPDX-License-Identifier: GPL-2.0
# lib_pg.bash - a private PostgreSQL 15 for a test: initdb and pg_ctl from
# Debian's postgresql-15 (make deps) in a mktemp directory, listening on a
# Unix socket there only (no TCP), password auth (scram) for user cgnat.
# pg_start sets PG_URL; pg_stop kills the server by its PID; pg_cleanup
# (call it from the test's EXIT trap) stops it and removes the directory.
# PG_OPTS (optional): more server settings, "-c name=value ...".
PG_BIN=/usr/lib/postgresql/15/bin
PG_DIR=
PG_PID=
PG_PASS=secret-$$

pg_run() {	# as the postgres user (initdb refuses root)
	runuser -u postgres -- "$@"
}

pg_init() {
	PG_DIR=$(mktemp -d /tmp/cgnat-pg.XXXXXX) || return 1
	chown postgres "$PG_DIR"
	echo "$PG_PASS" >"$PG_DIR/pw"
	chown postgres "$PG_DIR/pw"
	pg_run "$PG_BIN/initdb" -D "$PG_DIR/data" -U cgnat -A scram-sha-256 \
		--pwfile="$PG_DIR/pw" >"$PG_DIR/initdb.log" 2>&1 || {
		cat "$PG_DIR/initdb.log"
		return 1
	}
	PG_URL="postgresql://cgnat:$PG_PASS@/postgres?host=$PG_DIR"
}

pg_start() {
	pg_run "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
		-o "-c listen_addresses='' -c unix_socket_directories=$PG_DIR -c fsync=on ${PG_OPTS:-}" \
		start >/dev/null || { cat "$PG_DIR/server.log"; return 1; }
	PG_PID=$(head -1 "$PG_DIR/data/postmaster.pid")
}

pg_stop() {	# fast shutdown of the server we started, by PID
	[ -n "$PG_PID" ] || return 0
	kill -INT "$PG_PID" 2>/dev/null
	while kill -0 "$PG_PID" 2>/dev/null; do sleep 0.1; done
	PG_PID=
}

pg_cleanup() {
	pg_stop
	[ -n "$PG_DIR" ] && rm -rf "$PG_DIR"
}

pg_sql() {	# pg_sql "SQL": one value per line
	PGPASSWORD=$PG_PASS /usr/lib/postgresql/15/bin/psql -qAtX \
		-h "$PG_DIR" -U cgnat -d postgres -v ON_ERROR_STOP=1 -c "$1"
}
