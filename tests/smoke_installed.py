"""Smoke-test an installed distribution: its commands exist, answer --version and --help, work.

Run by the nox `build` session inside a fresh venv: `python smoke_installed.py BIN server|client`.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import tempfile

SERVER_COMMANDS = [
    "remote-http-launcher",
    "rhl-ps",
    "rhl-ps-persistent",
    "rhl-logs",
    "rhl-inspect",
    "rhl-stop",
    "rhl-rm",
    "rhl-clear",
    "rhl-pid-alive",
    "rhl-verify-port",
    "rhl-handshake",
    "rhl-launch-service",
    "rhl-cache-conda",
    "rhl-conda-info",
    "rhl-batch",
    "rhl-guard",
]


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)


def launch_example(bin_dir: pathlib.Path, env: dict[str, str], tmp: pathlib.Path) -> list[str]:
    """The installed launcher brings up rhl-example-service, reuses it, and rhl-stop stops it."""
    tools = tmp / "tools.yaml"
    tools.write_text('example:\n  command_template: "rhl-example-service {x}"\n')
    config = tmp / "example.yaml"
    config.write_text(
        f"workdir: {tmp / 'work'}\nkey: smoke\nhandshake: /\n"
        "command: rhl-example-service --status-file {status_file}\n"
    )
    env = {**env, "RHL_TOOLS_YAML": str(tools)}
    failures = []
    for expected in ("done: launched", "done: reused-local"):
        proc = run([str(bin_dir / "remote-http-launcher"), str(config)], env)
        if proc.returncode != 0 or expected not in proc.stderr:
            failures.append(f"remote-http-launcher ({expected}): {proc.returncode}: {proc.stderr.strip()}")
    proc = run([str(bin_dir / "rhl-stop"), "smoke"], env)
    if proc.stdout.strip() != "smoke: stopped":
        failures.append(f"rhl-stop smoke: {proc.stdout.strip()} {proc.stderr.strip()}")
    return failures


def main() -> int:
    bin_dir = pathlib.Path(sys.argv[1])
    role = sys.argv[2]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "REMOTE_HTTP_LAUNCHER_DIR": tmp, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
        for name in SERVER_COMMANDS:
            exe = bin_dir / name
            if not exe.exists():
                failures.append(f"{name}: not installed")
                continue
            for flag in ("--version", "--help"):
                proc = run([str(exe), flag], env)
                if proc.returncode != 0 or not proc.stdout:
                    failures.append(f"{name} {flag}: exit {proc.returncode}: {proc.stderr.strip()}")
        proc = run([str(bin_dir / "rhl-ps"), "--json"], env)
        if proc.returncode != 0:
            failures.append(f"rhl-ps --json: exit {proc.returncode}: {proc.stderr.strip()}")
        failures += launch_example(bin_dir, env, pathlib.Path(tmp))
        if role == "client":
            proc = run([str(bin_dir / "python"), "-c", "import seamless_config_services"], env)
            if proc.returncode != 0:
                failures.append(f"import seamless_config_services: {proc.stderr.strip()}")
            failures += client_commands(bin_dir, env, pathlib.Path(tmp))
    for failure in failures:
        print(f"FAIL {failure}")
    checks = len(SERVER_COMMANDS) * 2 + 4 + (len(CLIENT_COMMANDS) * 4 + 1 if role == "client" else 0)
    print(f"smoke ({role}): {checks - len(failures)} checks ok, {len(failures)} failed")
    return 1 if failures else 0


CLIENT_COMMANDS = [
    f"seamless-service-{name}"
    for name in ("ps", "stop", "rm", "logs", "inspect", "clear", "resolve", "start", "restart", "doctor")
]


def client_commands(bin_dir: pathlib.Path, env: dict[str, str], tmp: pathlib.Path) -> list[str]:
    """Every seamless-service-* command answers --help and --version; resolve works from a
    cluster file (a fresh HOME)."""
    failures = []
    code = "import importlib.metadata as m; print(m.version('seamless-config-services'))"
    version = run([str(bin_dir / "python"), "-c", code], env).stdout.strip()
    for name in CLIENT_COMMANDS:
        for flag in ("--version", "--help"):
            proc = run([str(bin_dir / name), flag], env)
            if proc.returncode != 0 or not proc.stdout:
                failures.append(f"{name} {flag}: exit {proc.returncode}: {proc.stderr.strip()}")
        # --version names the distribution: seamless-config 0.3.2 installs the same script names.
        proc = run([str(bin_dir / name), "--version"], env)
        expected = f"{name}, version {version} (seamless-config-services)\n"
        if proc.stdout != expected:
            failures.append(f"{name} --version: {proc.stdout!r}, expected {expected!r}")
    failures += json_schemas(bin_dir, env, tmp)
    home = tmp / "client-home"
    (home / ".seamless").mkdir(parents=True)
    (home / ".seamless" / "clusters.yaml").write_text(
        "local_cluster: here\nhere:\n  type: local\n  frontends:\n    - hashserver: {bufferdir: /srv/b}\n"
    )
    argv = [
        str(bin_dir / "seamless-service-resolve"),
        "--service",
        "hashserver",
        "--cluster",
        "here",
        "--project",
        "p",
    ]
    proc = run(argv, {**env, "HOME": str(home)})
    if proc.returncode != 0 or '"key": "hashserver-here-rw-p"' not in proc.stdout:
        failures.append(f"seamless-service-resolve: exit {proc.returncode}: {proc.stdout}{proc.stderr}")
    return failures


#: What each command's --json-schema prints: the schema of what its --json prints (ps: a row).
JSON_SCHEMAS = {
    **{name: f"{name}/1" for name in CLIENT_COMMANDS},
    "seamless-service-ps": "seamless-service-ps-row/1",
}


def json_schemas(bin_dir: pathlib.Path, env: dict[str, str], tmp: pathlib.Path) -> list[str]:
    """--json-schema of every command prints its shipped schema (package data read from the
    installed wheel), from a directory without any configuration, and exits 0."""
    failures = []
    empty = tmp / "no-config"
    empty.mkdir(exist_ok=True)
    for name in CLIENT_COMMANDS:
        proc = subprocess.run(
            [str(bin_dir / name), "--json-schema"],
            capture_output=True,
            text=True,
            env={**env, "HOME": str(empty)},
            cwd=empty,
            timeout=60,
        )
        try:
            found = json.loads(proc.stdout).get("$id") if proc.returncode == 0 else None
        except ValueError:
            found = None
        wanted = f"urn:seamless-config-services:schema:{JSON_SCHEMAS[name]}"
        if found != wanted:
            failures.append(
                f"{name} --json-schema: exit {proc.returncode}, $id {found!r}: {proc.stderr.strip()}"
            )
    return failures


if __name__ == "__main__":
    sys.exit(main())
