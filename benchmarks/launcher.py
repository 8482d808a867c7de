"""Launcher scenarios for benchmarks/run.py: ours against remote-http-launcher 0.4.5, in one run.

* ``launcher-help``: ``remote-http-launcher --help``.
* ``launch-ssh-ready``: a cold launch over SSH (a real sshd on 127.0.0.1, the non-root ``svc``
  account, no connection open beforehand) of a service that is ready at once
  (``rhl-example-service``).
* ``launch-ssh-slow``: the same with a service that becomes ready after 0.5 s.
* ``reconnect``: the launcher run that finds its connection file alive (what Seamless does on
  every start once its services run).
* ``launch-local-ready`` / ``launch-local-slow``: a cold launch on this machine of a service
  that is ready at once / after 0.5 s.
* ``launch-local-running``: the service runs but its connection file was removed.

The cold local launches also time a *floor* (:data:`LAUNCH_FLOOR`): a stdlib-only script that
does the least any launcher must do.

The sshd comes from tests/sshd_support.py (it needs root, as the tests do). Between runs every
service is stopped and its state removed outside the timed part; our SSH master connection is
closed too, so "cold" includes connecting.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from run import REPO, BenchError, Context, Result, Side, base_env, floor_runner, run_pairs, timed

sys.path.insert(0, str(REPO / "tests"))


def _config(path: pathlib.Path, fields: dict[str, Any]) -> pathlib.Path:
    path.write_text(json.dumps(fields))
    return path


def scenario_launcher_help(ctx: Context) -> Result:
    env = base_env(ctx.tmp / "launcher-help")
    result = Result("launcher-help", "remote-http-launcher --help", 0.25)
    return run_pairs(
        result, ctx, lambda side, _i: timed([side.tool("remote-http-launcher"), "--help"], env)[0]
    )


class SSHBench:
    """One sshd for every SSH scenario; the svc key line is switched to the side being timed."""

    _instance: SSHBench | None = None

    def __init__(self, ctx: Context) -> None:
        if os.getuid() != 0:
            raise BenchError("the SSH scenarios need root (they start sshd and use the svc account)")
        from sshd_support import start_sshd

        self.sshd = start_sshd()
        ctx.cleanups.append(self.sshd.close)
        self.tools = self.sshd.dir / "tools.yaml"
        self.tools.write_text('example:\n  command_template: "rhl-example-service {x}"\n')
        self.tools.chmod(0o644)

    @classmethod
    def get(cls, ctx: Context) -> SSHBench:
        if cls._instance is None:
            cls._instance = SSHBench(ctx)
        return cls._instance

    def use(self, side: Side) -> None:
        """Point the svc account's PATH at the helpers of ``side``."""
        venv = self.sshd.svc_venv
        path = f"{venv}:/usr/local/bin:/usr/bin:/bin"
        if side.name == "reference":
            path = f"{side.bin}:{path}"
        self.sshd.set_key_options("svc", f'environment="RHL_TOOLS_YAML={self.tools}"', path=path)

    def cleanup(self, key: str, client_dir: pathlib.Path) -> None:
        venv = self.sshd.svc_venv
        self.sshd.run("rhltest-svc", str(venv / "rhl-stop"), key, timeout=60)
        self.sshd.run("rhltest-svc", str(venv / "rhl-rm"), key, "--server", timeout=60)
        (client_dir / f"{key}.json").unlink(missing_ok=True)
        self.sshd.exit_control_masters()


def _ssh_launch(name: str, description: str, target: float, service_args: str) -> Callable[[Context], Result]:
    def scenario(ctx: Context) -> Result:
        bench = SSHBench.get(ctx)
        home = bench.sshd.home("svc")
        key = f"bench-{name}"
        config = _config(
            ctx.tmp / f"{name}.yaml",
            {
                "workdir": str(home / "work"),
                "key": key,
                "hostname": "127.0.0.1",
                "ssh_hostname": "rhltest-svc",
                "network_interface": "127.0.0.1",
                "command": f"rhl-example-service --status-file {{status_file}} {service_args}".strip(),
                "handshake": "/",
            },
        )
        client_dir = ctx.tmp / f"{name}-client"

        def one(side: Side, _i: int) -> float:
            bench.use(side)
            env = base_env(ctx.tmp / f"{name}-state")
            env.pop("REMOTE_HTTP_LAUNCHER_DIR")  # 0.4.5's launcher mis-handles it; use --connection-dir
            env["PATH"] = f"{bench.sshd.bin_dir}{os.pathsep}{env['PATH']}"
            env["RHL_CONTROL_DIR"] = str(bench.sshd.dir / "cm")
            argv = [side.tool("remote-http-launcher"), str(config), "--connection-dir", str(client_dir)]
            try:
                return timed(argv, env)[0]
            finally:
                bench.cleanup(key, client_dir)

        return run_pairs(Result(name, description, target), ctx, one)

    return scenario


def scenario_reconnect(ctx: Context) -> Result:
    tools = ctx.tmp / "reconnect-tools.yaml"
    tools.write_text('example:\n  command_template: "rhl-example-service {x}"\n')
    sides = {}
    for side in (ctx.ours, ctx.reference):
        config = _config(
            ctx.tmp / f"reconnect-{side.name}.yaml",
            {
                "workdir": str(ctx.tmp / "reconnect-work"),
                "key": f"reconnect-{side.name}",
                "command": "rhl-example-service --status-file {status_file}",
                "handshake": "/",
            },
        )
        env = base_env(ctx.tmp / "reconnect-state")
        env["RHL_TOOLS_YAML"] = str(tools)
        env["PATH"] = os.pathsep.join([str(side.bin), str(ctx.ours.bin), env["PATH"]])
        if side.name == "reference":
            env.pop("REMOTE_HTTP_LAUNCHER_DIR")
        client_dir = ctx.tmp / f"reconnect-client-{side.name}"
        argv = [side.tool("remote-http-launcher"), str(config), "--connection-dir", str(client_dir)]
        timed(argv, env)  # launch once; every timed run reuses the connection file
        sides[side.name] = (argv, env)

        def stop(side: Side = side, env: dict[str, str] = env) -> None:
            subprocess.run(
                [side.tool("rhl-stop"), f"reconnect-{side.name}"], env=env, capture_output=True, timeout=60
            )

        ctx.cleanups.append(stop)
    result = Result("reconnect", "remote-http-launcher with a live connection file (reused-local)", 0.28)
    return run_pairs(result, ctx, lambda side, _i: timed(*sides[side.name])[0])


#: The floor of a cold local launch, stdlib only (argv: the service's argv as JSON, its status
#: file, the connection file, the workdir, the log): write the status file the service reads,
#: fork the service detached (own session, stdin /dev/null, output to the log), wait with a
#: short backoff (1-2 ms, as ours) until the status file says ``running``, ask the handshake
#: ``GET /`` once, and write the connection file atomically. No lock, no checks, no
#: supervisor, no exit record, no whitelist, no progress output: no launcher can be this
#: small, so it bounds from below.
#: It leaves ``<status file>.pid`` for the clean-up (outside the timed part).
LAUNCH_FLOOR = """
import json, os, socket, sys, time
argv, status, conn, workdir, log = json.loads(sys.argv[1]), *sys.argv[2:6]
def write(path, data):
    with open(path + ".tmp", "w") as handle:
        handle.write(json.dumps(data))
    os.replace(path + ".tmp", path)
write(status, {"workdir": workdir, "log": log, "status": "starting"})
pid = os.fork()
if pid == 0:
    os.setsid()
    os.chdir(workdir)
    null, out = os.open(os.devnull, os.O_RDONLY), os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(null, 0); os.dup2(out, 1); os.dup2(out, 2)
    os.execvp(argv[0], argv)
with open(status + ".pid", "w") as handle:
    handle.write(str(pid))
delay = 0.001
while True:
    try:
        with open(status, "rb") as handle:
            data = json.loads(handle.read())
    except ValueError:
        data = {}
    if data.get("status") == "running":
        break
    time.sleep(delay)
    delay = min(delay * 1.5, 0.002)
with socket.create_connection(("127.0.0.1", data["port"]), timeout=5) as sock:
    sock.sendall(b"GET / HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n")
    if not sock.recv(64).startswith(b"HTTP/1.0 200"):
        sys.exit("handshake failed")
write(conn, {"hostname": "127.0.0.1", "port": data["port"]})
"""


def _floor_launch(
    ctx: Context, name: str, service_argv: list[str], env: dict[str, str]
) -> Callable[[int], float]:
    """A cold launch by :data:`LAUNCH_FLOOR`; the service is stopped after it (not timed)."""
    root = ctx.tmp / f"{name}-floor"
    (root / "work").mkdir(parents=True, exist_ok=True)
    status = root / "service.json"
    argv = [*service_argv, "--status-file", str(status)]
    args = [
        json.dumps(argv),
        str(status),
        str(root / "connection.json"),
        str(root / "work"),
        str(root / "log"),
    ]
    run = floor_runner(ctx, LAUNCH_FLOOR, args, env)

    def one(i: int) -> float:
        try:
            return run(i)
        finally:
            _stop_floor_service(status)

    return one


def _stop_floor_service(status: pathlib.Path) -> None:
    import signal
    import time

    pid_file = pathlib.Path(f"{status}.pid")
    try:
        pid = int(pid_file.read_text())
    except (OSError, ValueError):
        return
    pid_file.unlink()
    try:
        os.killpg(pid, signal.SIGTERM)  # the floor's own service, in its own session
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)
    raise BenchError(f"the floor's service {pid} did not stop")


def _local_env(ctx: Context, side: Side, tools: pathlib.Path) -> dict[str, str]:
    env = base_env(ctx.tmp / "local-state")
    env.pop("REMOTE_HTTP_LAUNCHER_DIR")
    env["HOME"] = str(ctx.tmp / f"local-home-{side.name}")
    env["RHL_TOOLS_YAML"] = str(tools)
    env["PATH"] = os.pathsep.join([str(side.bin), str(ctx.ours.bin), env["PATH"]])
    return env


def _launch_local(
    name: str, description: str, target: float, service_args: str
) -> Callable[[Context], Result]:
    """A cold launch on this machine: nothing runs before, the service is stopped after."""

    def scenario(ctx: Context) -> Result:
        tools = ctx.tmp / "local-tools.yaml"
        tools.write_text('example:\n  command_template: "rhl-example-service {x}"\n')
        key = f"bench-{name}"
        config = _config(
            ctx.tmp / f"{name}.yaml",
            {
                "workdir": str(ctx.tmp / f"{name}-work"),
                "key": key,
                "command": f"rhl-example-service --status-file {{status_file}} {service_args}".strip(),
                "handshake": "/",
            },
        )
        client_dir = ctx.tmp / f"{name}-client"

        def one(side: Side, _i: int) -> float:
            env = _local_env(ctx, side, tools)
            try:
                return timed(
                    [side.tool("remote-http-launcher"), str(config), "--connection-dir", str(client_dir)], env
                )[0]
            finally:
                subprocess.run([side.tool("rhl-stop"), key], env=env, capture_output=True, timeout=60)
                subprocess.run([side.tool("rhl-rm"), key], env=env, capture_output=True, timeout=60)
                (client_dir / f"{key}.json").unlink(missing_ok=True)

        env = _local_env(ctx, ctx.ours, tools)
        floor = _floor_launch(ctx, name, ["rhl-example-service", *service_args.split()], env)
        return run_pairs(Result(name, description, target), ctx, one, floor)

    return scenario


def scenario_launch_local_running(ctx: Context) -> Result:
    """The service runs (launched once per side) but its connection file was removed: the
    launcher must find it on the target (``reused-remote``), check it and write the file."""
    tools = ctx.tmp / "running-tools.yaml"
    tools.write_text('example:\n  command_template: "rhl-example-service {x}"\n')
    sides = {}
    for side in (ctx.ours, ctx.reference):
        key = f"running-{side.name}"
        config = _config(
            ctx.tmp / f"{key}.yaml",
            {
                "workdir": str(ctx.tmp / "running-work"),
                "key": key,
                "command": "rhl-example-service --status-file {status_file}",
                "handshake": "/",
            },
        )
        env = _local_env(ctx, side, tools)
        client_dir = ctx.tmp / f"running-client-{side.name}"
        argv = [side.tool("remote-http-launcher"), str(config), "--connection-dir", str(client_dir)]
        timed(argv, env)  # launch once; every timed run finds the service but no connection file
        sides[side.name] = (argv, env, client_dir / f"{key}.json")

        def stop(side: Side = side, env: dict[str, str] = env, key: str = key) -> None:
            subprocess.run([side.tool("rhl-stop"), key], env=env, capture_output=True, timeout=60)

        ctx.cleanups.append(stop)

    def one(side: Side, _i: int) -> float:
        argv, env, client_file = sides[side.name]
        client_file.unlink(missing_ok=True)
        return timed(argv, env)[0]

    result = Result(
        "launch-local-running", "local launch, service running, connection file removed (reused-remote)", 0.2
    )
    return run_pairs(result, ctx, one)


SCENARIOS: dict[str, Callable[[Context], Result]] = {
    "launcher-help": scenario_launcher_help,
    "launch-ssh-ready": _ssh_launch(
        "launch-ssh-ready", "cold launch over SSH (svc), service ready at once", 0.25, ""
    ),
    "launch-ssh-slow": _ssh_launch(
        "launch-ssh-slow", "cold launch over SSH (svc), service ready after 0.5 s", 0.4, "--ready-delay 0.5"
    ),
    "reconnect": scenario_reconnect,
    "launch-local-ready": _launch_local(
        "launch-local-ready", "cold local launch, service ready at once", 0.2, ""
    ),
    "launch-local-running": scenario_launch_local_running,
    "launch-local-slow": _launch_local(
        "launch-local-slow", "cold local launch, service ready after 0.5 s", 0.43, "--ready-delay 0.5"
    ),
}
