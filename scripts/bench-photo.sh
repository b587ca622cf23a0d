#!/usr/bin/env bash
# The photo pipeline's benchmark: buqi-photo against vipsthumbnail on a generated 12-megapixel
# JPEG, side by side in one run, as a ratio (target: ours ≤ 0.6 × vipsthumbnail's time).
# Installs Debian's libvips-tools first if vipsthumbnail is missing. Extra arguments go to the
# benchmark, e.g. `scripts/bench-photo.sh --rounds 25`. Not a test: timings depend on the machine
# and on whatever else it is doing, so run it on a quiet one.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v vipsthumbnail >/dev/null 2>&1; then
  echo "bench-photo: installing libvips-tools (for vipsthumbnail) with apt-get"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "bench-photo: need root or sudo to apt-get install libvips-tools" >&2; exit 1; }
    sudo="sudo"
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libvips-tools
fi

exec cargo run --release --locked -q -p buqi-photo --example bench_photo -- "$@"
