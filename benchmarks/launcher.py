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

from run import REPO, BenchError, Context, Result, Side, base_env, run_pairs, timed

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

        return run_pairs(Result(name, description, target), ctx, one)

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
