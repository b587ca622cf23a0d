#!/usr/bin/env bash
# Runs a command against a throwaway S3-compatible server (moto's, from PyPI) on loopback:
#
#   scripts/s3-test.sh cargo test -p buqi-server --test photos_http
#
# Installs `moto[server]` from PyPI into a virtual environment of its own if `moto_server` is missing,
# starts it on 127.0.0.1 on a free port, makes the bucket `buqi-test`, runs the command with
#   BUQI_TEST_S3=s3://buqi-test?endpoint=http://127.0.0.1:PORT
#   BUQI_REQUIRE_S3=1   (so S3 tests fail, rather than skip, if anything is amiss)
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION  (moto takes any)
# exported, then stops the server, whatever the command did. Exits with the command's status.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]   (e.g. $0 cargo test -p buqi-server --test photos_http)" >&2
    exit 2
fi

PYTHON="${PYTHON:-python3}"
if ! command -v moto_server >/dev/null 2>&1; then
    # A virtual environment of our own: Debian's Python refuses `pip install` into the system
    # (PEP 668), and we should not touch it anyway.
    VENV="${BUQI_MOTO_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/buqi/moto-venv}"
    if [ ! -x "$VENV/bin/moto_server" ]; then
        echo "s3-test: installing moto[server] from PyPI into $VENV" >&2
        if ! command -v "$PYTHON" >/dev/null 2>&1 || ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then
            sudo=""
            if [ "$(id -u)" -ne 0 ]; then
                command -v sudo >/dev/null 2>&1 || { echo "s3-test: need root or sudo to apt-get install python3-venv" >&2; exit 1; }
                sudo="sudo"
            fi
            $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
            $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
            PYTHON=python3
        fi
        rm -rf "$VENV"
        "$PYTHON" -m venv "$VENV"
        "$VENV/bin/pip" install --quiet 'moto[server]' >&2
    fi
    export PATH="$VENV/bin:$PATH"
    PYTHON="$VENV/bin/python"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/buqi-s3.XXXXXX")"
LOG="$WORK/moto.log"
PID=""
stop() {
    if [ -n "$PID" ]; then
        kill "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap stop EXIT
trap 'exit 130' INT TERM

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

export AWS_ACCESS_KEY_ID=buqi-test AWS_SECRET_ACCESS_KEY=buqi-test AWS_REGION=us-east-1
started=""
for _ in $(seq 1 20); do
    PORT=$((20000 + RANDOM % 40000))
    if port_in_use "$PORT"; then
        continue
    fi
    moto_server -H 127.0.0.1 -p "$PORT" >"$LOG" 2>&1 &
    PID=$!
    for _ in $(seq 1 100); do
        if port_in_use "$PORT"; then
            started=1
            break
        fi
        if ! kill -0 "$PID" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    if [ -n "$started" ]; then
        break
    fi
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    PID=""
done
if [ -z "$started" ]; then
    tail -n 30 "$LOG" >&2 || true
    echo "s3-test: the moto server did not start" >&2
    exit 1
fi

# The bucket (moto does not check signatures: a plain PUT makes it).
"$PYTHON" - "$PORT" <<'PY'
import sys, urllib.request
request = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/buqi-test", method="PUT")
urllib.request.urlopen(request, timeout=30).read()
PY

export BUQI_TEST_S3="s3://buqi-test?endpoint=http://127.0.0.1:$PORT"
export BUQI_REQUIRE_S3=1
echo "s3-test: moto $("$PYTHON" -c 'import moto; print(moto.__version__)') on 127.0.0.1:$PORT" >&2

status=0
"$@" || status=$?
exit "$status"
