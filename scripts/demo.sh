#!/usr/bin/env bash
# The main job: a real Seamless service lifecycle on an embedded default configuration.
# Launches the real hashserver (Seamless' buffer server, from PyPI) through remote-http-launcher
# under a throw-away REMOTE_HTTP_LAUNCHER_DIR, reuses it, shows it with rhl-ps / rhl-inspect /
# rhl-logs, checks its healthcheck over real HTTP, stops it, and removes its state.
set -euo pipefail
work=$(mktemp -d "${TMPDIR:-/tmp}/rhl-demo.XXXXXX")
export REMOTE_HTTP_LAUNCHER_DIR="$work/state"
key=hashserver-local-rw-demo
cleanup() { rhl-stop "$key" --sigint-grace 1 --sigterm-grace 1 >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

# The embedded default: what seamless-config generates for a hashserver on the local cluster.
cat > "$work/hashserver.yaml" <<YAML
workdir: $work/buffers/demo
key: $key
network_interface: 127.0.0.1
port_start: 5100
port_end: 5199
timeout: 600
command: "hashserver --port-range {port_start} {port_end} --status-file {status_file} --host {network_interface} --timeout {timeout} {workdir} --writable"
handshake: healthcheck
meta: {service: hashserver, cluster: local, mode: rw, project: demo}
YAML

step() { printf '\n$ %s\n' "$*"; "$@"; }

step remote-http-launcher "$work/hashserver.yaml" --json
step remote-http-launcher "$work/hashserver.yaml"
step rhl-ps
step rhl-ps --client
step rhl-inspect "$key"
port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$REMOTE_HTTP_LAUNCHER_DIR/client/$key.json")
step rhl-handshake "http://127.0.0.1:$port/healthcheck"
echo "healthcheck: HTTP 200"
step rhl-logs "$key" --tail 3
step rhl-stop "$key"
step rhl-ps
step rhl-rm "$key"
step rhl-ps
echo
echo "demo: hashserver was launched once, reused, answered its healthcheck, stopped, and its state is gone."
