#!/usr/bin/env bash
# Installs what building and testing buqi needs on a Debian or Ubuntu machine, and only what is
# missing. Run by `make run` and `make test`; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages, by the command that shows each is there. Later parts of buqi add to this list.
declare -A need=(
  [cc]=gcc
  [pkg-config]=pkg-config
  [git]=git
)

missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done
# The field app's window (Tauri 2) links WebKitGTK 4.1; its -dev package brings GTK and the rest.
command -v pkg-config >/dev/null 2>&1 && pkg-config --exists webkit2gtk-4.1 2>/dev/null \
  || missing+=(libwebkit2gtk-4.1-dev)
# The UIs (ui/, dashboard/) build with Vite 6, which runs on Node.js 18 or newer (Debian 12's).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} with apt-get"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup: need root or sudo to apt-get install ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The Rust toolchain: Debian's own cargo is too old for this workspace, so ask for rustup's.
want_rust="1.95"
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: no cargo on PATH. Install Rust ${want_rust} or newer with rustup (https://rustup.rs), then run make again." >&2
  exit 1
fi
have_rust=$(rustc --version | awk '{print $2}')
if [ "$(printf '%s\n%s\n' "$want_rust" "$have_rust" | sort -V | head -n1)" != "$want_rust" ]; then
  echo "setup: rustc ${have_rust} is older than ${want_rust}: run 'rustup update stable'." >&2
  exit 1
fi
for component in rustfmt clippy; do
  if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
    echo "setup: adding the ${component} component"
    rustup component add "$component"
  fi
done

# The field app's UI: the window embeds ui/dist when it is compiled, so build it when it is missing
# or is only the placeholder page src-tauri/build.rs writes (so a clean clone still compiles).
if [ -f ui/package.json ]; then
  if [ ! -f ui/dist/index.html ] || grep -q 'data-buqi-placeholder' ui/dist/index.html; then
    command -v npm >/dev/null 2>&1 || { echo "setup: npm is needed to build ui/: install Node.js 20 or newer." >&2; exit 1; }
    echo "setup: building the UI (ui/dist)"
    (cd ui && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build)
  fi
fi
