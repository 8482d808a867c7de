#!/usr/bin/env bash
# The main job: a real service lifecycle with the rhl-* helpers, on an embedded default.
# Launches rhl-example-service (a small HTTP service speaking the status-file protocol) under a
# throw-away REMOTE_HTTP_LAUNCHER_DIR, shows it with rhl-ps / rhl-inspect / rhl-logs, checks its
# healthcheck over real HTTP, stops it (with its worker processes), and removes its state.
set -euo pipefail
work=$(mktemp -d "${TMPDIR:-/tmp}/rhl-demo.XXXXXX")
export REMOTE_HTTP_LAUNCHER_DIR="$work/state"
# Whitelist the example service for rhl-launch-service (production whitelists Seamless binaries).
printf 'example:\n  command_template: "rhl-example-service --status-file {status_file}"\n' > "$work/tools.yaml"
export RHL_TOOLS_YAML="$work/tools.yaml"
key=demo-service
cleanup() { rhl-stop "$key" --sigint-grace 1 --sigterm-grace 1 >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

step() { printf '\n$ %s\n' "$*"; "$@"; }

step rhl-launch-service --key "$key" --workdir "$work/data" -- \
  rhl-example-service --status-file "$REMOTE_HTTP_LAUNCHER_DIR/server/$key.json" --children 2
for _ in $(seq 200); do
  [ "$(rhl-ps --status running --key)" = "$key" ] && break
  sleep 0.05
done
step rhl-ps
step rhl-inspect "$key"
port=$(rhl-ps --json | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["port"])')
step rhl-handshake "http://127.0.0.1:$port/healthcheck"
echo "healthcheck: HTTP 200"
step rhl-logs "$key" --tail 3
step rhl-stop "$key"
step rhl-ps
step rhl-logs "$key" --tail 1
step rhl-rm "$key"
step rhl-ps
echo
echo "demo: the service ran, answered its healthcheck, stopped with its workers, and its state is gone."
