#!/usr/bin/env bash
# The sync server's benchmarks (sync-server/examples/bench_sync.rs), each printed next to its
# reference from the same run:
#   (a) changes merged per second through HTTP on 127.0.0.1 from 100 enrolled devices, beside
#       Store::push without HTTP, the JSON codec alone and raw rusqlite conditional upserts;
#       targets: >= 200k changes/s on SQLite, >= 100k on PostgreSQL; then where the time goes
#       (1 device against 100, batches of 100 and 5000);
#   (b) one community (500 changes, and 50 photos of ~500 KB when the server has photo routes)
#       pushed by one tablet and pulled by another, with the app's store and sync client.
# One run covers SQLite and PostgreSQL, the latter on a throwaway server (scripts/postgres-test.sh,
# which installs Debian's postgresql package if it is missing). `--sqlite-only` skips PostgreSQL.
# Other arguments go to the benchmark, e.g. `scripts/bench-sync.sh --quick` or `--rounds 5`.
# Not a test: timings depend on the machine and on whatever else it is doing.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release -q -p buqi-server --example bench_sync
bench="target/release/examples/bench_sync"

if [ "${1:-}" = "--sqlite-only" ]; then
    shift
    exec env -u BUQI_TEST_POSTGRES "$bench" "$@"
fi
exec scripts/postgres-test.sh "$bench" "$@"
