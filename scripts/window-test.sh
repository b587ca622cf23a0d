#!/usr/bin/env bash
# Runs the window tests (src-tauri/tests/window.rs): the built buqi-app under Xvfb, driven through
# tauri-driver and WebKitWebDriver, syncing to a real `buqi serve` on loopback. Installs what they
# need on Debian if it is missing (WebKitGTK, its WebDriver, Xvfb, CJK fonts, tauri-driver,
# axe-core), builds the UI, and stops after WINDOW_TEST_TIMEOUT seconds (default 900) so a
# window that never opens fails the run instead of hanging it. Screenshots: target/window-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}
timeout_s=${WINDOW_TEST_TIMEOUT:-900}

declare -A need=(
  [WebKitWebDriver]=webkit2gtk-driver
  [xvfb-run]=xvfb
  [xauth]=xauth
  [fc-list]=fontconfig
)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done
pkg-config --exists webkit2gtk-4.1 2>/dev/null || missing+=(libwebkit2gtk-4.1-dev)
# Without a CJK font every Chinese label is a row of boxes in the screenshots.
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -gt 0 ]; then
  echo "window-test: installing ${missing[*]} with apt-get"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "window-test: installing tauri-driver"
  $CARGO install tauri-driver --locked
fi

# The UI, built fresh (the window embeds ui/dist at compile time). Until ui/ has a package.json
# the window shows the page build.rs writes.
if [ -f ui/package.json ]; then
  (cd ui && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build)
fi

# axe-core for the accessibility audit: the UI's own copy if it has one, else a pinned one here.
if [ ! -f ui/node_modules/axe-core/axe.min.js ] && [ ! -f target/window-tools/node_modules/axe-core/axe.min.js ]; then
  mkdir -p target/window-tools
  (cd target/window-tools && { [ -f package.json ] || echo '{"private":true}' > package.json; } \
    && npm install --no-audit --no-fund --save-exact axe-core@4.10.3)
fi

$CARGO build --locked -p buqi-server --bin buqi
mkdir -p target/window-artifacts
# One test at a time: each opens a window and a WebKit process, and two at once on a small
# machine time out rather than finish sooner.
BUQI_WINDOW_TESTS=1 timeout --signal=TERM --kill-after=30 "$timeout_s" \
  xvfb-run --auto-servernum --server-args="-screen 0 1280x1024x24" \
  $CARGO test --locked -p buqi-app --test window -- --test-threads=1 "$@"
echo "window-test: screenshots in target/window-artifacts/"
