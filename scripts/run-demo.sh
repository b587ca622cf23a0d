#!/usr/bin/env bash
# `make run`: the field app, ready to survey. Builds what is missing, starts a local `buqi serve`
# (SQLite, under target/demo/server) with a demo city (武汉), a surveyor and an assigned demo
# community, and opens the window enrolled to it. The app's data stays in target/demo/app-data
# (its XDG_DATA_HOME), so the demo never touches a real survey; run again to carry on where you
# left off, or delete target/demo/ to start over. GPS replays a walk round a block in 武汉 (the
# desktop webview has no geolocation). Stop with Ctrl-C or by closing the window.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}
port=${DEMO_PORT:-8787}
demo=$PWD/target/demo
server_dir=$demo/server
app_data=$demo/app-data
export BUQI_DATABASE="sqlite:$server_dir/buqi.db"

$CARGO build --locked -p buqi-server --bin buqi
$CARGO build --locked -p buqi-app --bin buqi-app
bin=${CARGO_TARGET_DIR:-$PWD/target}/debug

mkdir -p "$server_dir" "$app_data/cn.buqi.app"
if [ ! -f "$server_dir/.ready" ]; then
  echo "== setting up the demo server (武汉, one surveyor, one community)"
  "$bin/buqi" user add 演示调查员 --role surveyor --city 武汉
  "$bin/buqi" community add --name 百步亭花园社区 --city 武汉
  "$bin/buqi" assign 演示调查员 百步亭花园社区
  touch "$server_dir/.ready"
fi

# Replay GPS from the demo walk unless the surveyor has chosen settings already.
settings=$app_data/cn.buqi.app/settings.json
if [ ! -f "$settings" ]; then
  cat > "$settings" <<JSON
{
  "lang": "zh",
  "theme": "light",
  "text_scale": 1.0,
  "gps": { "source": "replay", "replay_path": "$PWD/src-tauri/tests/fixtures/wuhan-block-walk.gpx", "replay_speed": 5.0 },
  "basemap_path": null,
  "surveyor": "演示调查员"
}
JSON
fi

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "run-demo: port $port is taken; set DEMO_PORT to a free port" >&2
  exit 1
fi
"$bin/buqi" serve --listen "127.0.0.1:$port" --photos "$server_dir/photos" &
server_pid=$!
trap 'kill -TERM $server_pid 2>/dev/null; wait $server_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

# A fresh one-time code each start; the app spends it only if it is not enrolled yet.
code=$("$bin/buqi" device enroll --user 演示调查员 --server "http://127.0.0.1:$port" --no-qr | awk '/^code:/ {print $2}')
echo "== opening the window (server http://127.0.0.1:$port, app data $app_data)"
run=()
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "run-demo: no display; running the window under xvfb-run (invisible; for checking it starts)" >&2
  run=(xvfb-run --auto-servernum --server-args="-screen 0 1280x1024x24")
fi
XDG_DATA_HOME=$app_data "${run[@]}" "$bin/buqi-app" --enroll-server "http://127.0.0.1:$port" --enroll-code "$code"
