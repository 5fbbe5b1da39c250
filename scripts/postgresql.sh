# A private PostgreSQL cluster for tests and benchmarks (sourced):
# pg_start creates it in a temporary folder, listening on 127.0.0.1 on a free
# port, and exports PG_URI; pg_stop stops it and removes the folder.
# PostgreSQL is installed from Debian when missing (pg_ensure).

pg_bindir() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

pg_ensure() {
    [ -n "$(pg_bindir)" ] || apt_install postgresql
}

pg_start() {
    pg_ensure
    local bin run_as=()
    bin=$(pg_bindir)
    PG_DIR=$(mktemp -d /tmp/spsti-pg.XXXXXX)
    # The fault tests restart the cluster.
    export PG_DIR
    PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    if [ "$(id -u)" = 0 ]; then
        # initdb refuses to run as root.
        chown postgres: "$PG_DIR"
        run_as=(runuser -u postgres --)
    fi
    PG_RUN_AS=("${run_as[@]}")
    "${run_as[@]}" "$bin/initdb" -D "$PG_DIR/data" -U postgres -A trust \
        -E UTF8 --locale=C.UTF-8 >/dev/null
    # In the cluster's configuration, so that a plain pg_ctl start (the
    # fault tests restart it) listens where it did.
    "${run_as[@]}" tee -a "$PG_DIR/data/postgresql.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR'
fsync = off
full_page_writes = off
synchronous_commit = off
CONF
    "${run_as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
        start >/dev/null
    export PG_URI="postgresql://postgres@127.0.0.1:$PG_PORT/"
    log "PostgreSQL $(basename "$(dirname "$bin")") on 127.0.0.1:$PG_PORT"
}

pg_stop() {
    [ -n "${PG_DIR:-}" ] || return 0
    "${PG_RUN_AS[@]}" "$(pg_bindir)/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
    PG_DIR=
}
