#!/usr/bin/env bash
# The main job: a real Seamless service lifecycle on an embedded default configuration.
# Part 1, the raw layer: launches the real hashserver (Seamless' buffer server, from PyPI)
# through remote-http-launcher under a throw-away REMOTE_HTTP_LAUNCHER_DIR, reuses it, shows it
# with rhl-ps / rhl-inspect / rhl-logs, checks its healthcheck over real HTTP, stops it, and
# removes its state.
# Part 2, the Seamless layer: an embedded cluster file and project (throw-away HOME), then the
# seamless-service-* commands: start hashserver and seamless-database, ps (client, cluster,
# persistent), inspect, logs, and the false-pass protocol: stop, logs, rm, clear, ps --persistent.
set -euo pipefail
work=$(mktemp -d "${TMPDIR:-/tmp}/rhl-demo.XXXXXX")
export REMOTE_HTTP_LAUNCHER_DIR="$work/state"
key=hashserver-local-rw-demo
cleanup() {
  rhl-stop "$key" --sigint-grace 1 --sigterm-grace 1 >/dev/null 2>&1 || true
  HOME="$work/home" seamless-service-stop --cluster local >/dev/null 2>&1 || true
  rm -rf "$work"
}
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
echo "demo (raw layer): hashserver was launched once, reused, answered its healthcheck, stopped, and its state is gone."

# -- Part 2: the Seamless layer -------------------------------------------------------------
export HOME="$work/home"
mkdir -p "$HOME/.seamless" "$work/myproject"
cat > "$HOME/.seamless/clusters.yaml" <<YAML
local_cluster: local
local:
  type: local
  frontends:
    - hashserver: {bufferdir: $work/buffers, network_interface: 127.0.0.1, port_start: 5100, port_end: 5199}
      database: {database_dir: $work/dbdir, network_interface: 127.0.0.1, port_start: 5200, port_end: 5299}
YAML
printf -- '- project: myproject\n' > "$work/myproject/seamless.yaml"
printf -- '- cluster: local\n' > "$work/myproject/seamless.profile.yaml"
cd "$work/myproject"
step seamless-service-resolve --service hashserver --cluster local --project myproject
step seamless-service-start --service hashserver
step seamless-service-start --service database
step seamless-service-ps
step seamless-service-ps --cluster local
step seamless-service-inspect --service database
hs_port=$(seamless-service-ps --json --service hashserver | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["port"])')
echo
echo "# store one buffer in the hashserver (a cached result, as a Seamless run would leave it)"
python3 - "$hs_port" <<'PY'
import hashlib, sys, urllib.request
data = b"a cached result"
url = f"http://127.0.0.1:{sys.argv[1]}/{hashlib.sha256(data).hexdigest()}"
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
print("PUT", url, "->", opener.open(urllib.request.Request(url, data=data, method="PUT"), timeout=10).status)
PY
# The false-pass protocol of the seeds, in the guide's order: what is cached, then stop the
# project's services (only this project's: --project), read the logs, rm, clear: a cold cache.
step seamless-service-ps --server --persistent --project myproject --cluster local
step seamless-service-stop --cluster local --project myproject
step seamless-service-logs --service hashserver --tail 2
step seamless-service-logs --service database --tail 2
step seamless-service-rm --cluster local --project myproject
step seamless-service-clear --service hashserver --project myproject
step seamless-service-clear --service database --project myproject
step seamless-service-ps --server --persistent --project myproject --cluster local
echo
echo "demo (Seamless layer): hashserver and seamless-database started for project myproject, listed,"
echo "inspected, stopped, removed and cleared: ps --persistent shows an empty (cold) cache."
