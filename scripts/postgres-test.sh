#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL server:
#
#   scripts/postgres-test.sh cargo test -p buqi-server
#
# Installs PostgreSQL (Debian's `postgresql` package) if it is missing, creates a cluster in a
# temporary directory, starts it on 127.0.0.1 on a free port, runs the command with
#   BUQI_TEST_POSTGRES=postgres://postgres@127.0.0.1:PORT/postgres
#   BUQI_REQUIRE_POSTGRES=1   (so PostgreSQL tests fail, rather than skip, if anything is amiss)
# exported, then stops the server and deletes the cluster, whatever the command did. Exits with
# the command's status.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]   (e.g. $0 cargo test -p buqi-server)" >&2
    exit 2
fi

find_bindir() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
        fi
    done | sort -V | tail -n 1
}

BINDIR="${PG_BINDIR:-$(find_bindir)}"
if [ -z "$BINDIR" ]; then
    echo "postgres-test: PostgreSQL is not installed; installing Debian's postgresql package" >&2
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || {
            echo "postgres-test: installing needs root or sudo: apt-get install -y postgresql" >&2
            exit 1
        }
        sudo="sudo"
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    BINDIR="$(find_bindir)"
    if [ -z "$BINDIR" ]; then
        echo "postgres-test: the postgresql package installed no initdb/pg_ctl" >&2
        exit 1
    fi
fi

# initdb refuses to run as root: as root, the cluster belongs to the `postgres` user that the
# package creates.
if [ "$(id -u)" -eq 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
        echo "postgres-test: running as root, but there is no postgres user to own the cluster" >&2
        exit 1
    fi
    as_owner() { runuser -u postgres -- "$@"; }
else
    as_owner() { "$@"; }
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/buqi-postgres.XXXXXX")"
chmod 755 "$WORK"
if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$WORK"
fi
DATA="$WORK/data"
LOG="$WORK/server.log"

stop() {
    if [ -f "$DATA/postmaster.pid" ]; then
        as_owner "$BINDIR/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap stop EXIT
trap 'exit 130' INT TERM

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

as_owner "$BINDIR/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
    >"$WORK/initdb.log" 2>&1 || {
    cat "$WORK/initdb.log" >&2
    echo "postgres-test: initdb failed" >&2
    exit 1
}

started=""
for _ in $(seq 1 20); do
    PORT=$((20000 + RANDOM % 40000))
    if port_in_use "$PORT"; then
        continue
    fi
    if as_owner "$BINDIR/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$WORK -c max_connections=200" \
        start >/dev/null; then
        started=1
        break
    fi
done
if [ -z "$started" ]; then
    tail -n 30 "$LOG" >&2 || true
    echo "postgres-test: the PostgreSQL server did not start" >&2
    exit 1
fi

export BUQI_TEST_POSTGRES="postgres://postgres@127.0.0.1:$PORT/postgres"
export BUQI_REQUIRE_POSTGRES=1
echo "postgres-test: PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (cluster in $WORK)" >&2

status=0
"$@" || status=$?
exit "$status"
