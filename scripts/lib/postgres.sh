# Private PostgreSQL for tests and benchmarks: its own data directory and port on 127.0.0.1,
# run as the postgres user (the server refuses root). Source this file, then:
#   pg_start PORT [extra postgres -c options…]   sets PG_URL; returns non-zero if it could not start
#   pg_stop                                     stops it and removes the data directory
PG_BIN=""
PG_DIR=""
PG_STARTED=0
PG_URL=""

pg_find_bin() {
    for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && PG_BIN="$d"; done
    [ -n "$PG_BIN" ]
}

pg_start() {
    local port="$1"; shift
    pg_find_bin || return 1
    PG_DIR="$(mktemp -d /tmp/roost-pg.XXXXXX)"
    chown postgres "$PG_DIR" 2>/dev/null || true
    local opts="-p $port -k $PG_DIR -c listen_addresses=127.0.0.1"
    for o in "$@"; do opts="$opts -c $o"; done
    if runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust >"$PG_DIR/initdb.log" 2>&1 &&
        runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -o "$opts" start >/dev/null 2>&1; then
        PG_STARTED=1
        PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
        return 0
    fi
    cat "$PG_DIR"/*.log 2>/dev/null | tail -20
    return 1
}

pg_stop() {
    if [ "$PG_STARTED" = 1 ]; then
        runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
        PG_STARTED=0
    fi
    [ -n "$PG_DIR" ] && rm -rf "$PG_DIR"
    PG_DIR=""
}
