"""seamless-service-* scenarios for benchmarks/run.py: ours against seamless-config 0.3.2.

* ``service-ps-server``: ``seamless-service-ps --server --cluster remote`` for a cluster whose
  frontend (the test sshd's ``svc`` account on 127.0.0.1) runs 6 services; each side with its
  own helpers on the server (ours: our rhl-* helpers; reference: remote-http-launcher 0.4.5).
  Ours finds the master connection of the previous command still up (it persists 60 s after
  the last call: what anyone running a few commands in a row gets); the reference has no
  such mode and logs in on every call.
* ``service-ps-cold``: the same with every SSH connection closed before each run, so both
  sides pay a full login (no target: the login, ~230 ms here, is most of both times).
* ``service-resolve``: ``seamless-service-resolve --service hashserver --cluster remote
  --project myproj --stage s1`` (local only, no SSH).
* ``service-ps-json``: ``seamless-service-ps --json`` (the client view: this machine's
  connection files, no SSH) over 10 connection files, in a HOME of its own. The reference
  runs ``rhl-ps --client --json`` of remote-http-launcher 0.4.5 as a subprocess; ours reads the
  files in its own process.

The reference client runs from the venv the golden tests use (tests/services/reference_sc.py).
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
from collections.abc import Callable

from run import REPO, BenchError, Context, Result, Side, base_env, run_pairs

sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "services"))

N_SERVICES = 6
CLUSTERS = """\
remote:
  frontends:
    - hostname: 127.0.0.1
      ssh_hostname: rhltest-svc
      hashserver: {bufferdir: ~/buffers, network_interface: 127.0.0.1}
      database: {database_dir: ~/dbdir, network_interface: 127.0.0.1}
"""


def reference_client_bin() -> pathlib.Path:
    from reference_sc import ensure_reference_sc_venv

    return ensure_reference_sc_venv().parent


class ServicesBench:
    """A client HOME + project, and 6 services of the cluster running as svc over the sshd."""

    _instance: ServicesBench | None = None

    def __init__(self, ctx: Context) -> None:
        from launcher import SSHBench

        self.ssh = SSHBench.get(ctx)
        self.reference_bin = reference_client_bin()
        self.home = ctx.tmp / "services-home"
        (self.home / ".seamless").mkdir(parents=True)
        (self.home / ".seamless" / "clusters.yaml").write_text(CLUSTERS)
        self.project = ctx.tmp / "services-project"
        self.project.mkdir()
        (self.project / "seamless.yaml").write_text("- project: myproj\n")
        self.keys = self._start_services(ctx)

    @classmethod
    def get(cls, ctx: Context) -> ServicesBench:
        if cls._instance is None:
            cls._instance = ServicesBench(ctx)
        return cls._instance

    def _start_services(self, ctx: Context) -> list[str]:
        """6 live services with Seamless keys and meta, launched by our helper on svc."""
        sshd = self.ssh.sshd
        venv = sshd.svc_venv
        self.ssh.use(ctx.ours)  # the launch whitelist (tools.yaml) names rhl-example-service
        keys = []
        for index in range(N_SERVICES):
            stage = f"s{index}"
            key = f"hashserver-remote-rw-myproj--STAGE-{stage}"
            meta = {
                "service": "hashserver",
                "cluster": "remote",
                "mode": "rw",
                "project": "myproj",
                "subproject": None,
                "stage": stage,
                "substage": None,
                "queue": None,
            }
            argv = [
                str(venv / "rhl-launch-service"),
                "--key",
                key,
                "--workdir",
                f"{sshd.home('svc')}/buffers/myproj/STAGE-{stage}",
                "--meta",
                json.dumps(meta),
                "--await",
                "--",
                "rhl-example-service",
                "--status-file",
                f"{sshd.home('svc')}/.remote-http-launcher/server/{key}.json",
            ]
            result = sshd.run("rhltest-svc", *(_quote(a) for a in argv), timeout=120)
            if result.returncode != 0:
                raise BenchError(f"could not start {key}: {result.stderr.strip()[-300:]}")
            keys.append(key)

        def stop() -> None:
            sshd.run("rhltest-svc", str(venv / "rhl-stop"), *keys, timeout=60)

        ctx.cleanups.append(stop)
        return keys

    def env(self, side: Side, ctx: Context) -> dict[str, str]:
        env = base_env(ctx.tmp / "services-state")
        env.pop("REMOTE_HTTP_LAUNCHER_DIR")
        env["HOME"] = str(self.home)
        env["PATH"] = os.pathsep.join([str(self.ssh.sshd.bin_dir), str(side.bin), env["PATH"]])
        env["RHL_CONTROL_DIR"] = str(self.ssh.sshd.dir / "cm")
        return env

    def tool(self, side: Side, command: str) -> str:
        if side.name == "reference":
            return str(self.reference_bin / command)
        return side.tool(command)


def _quote(word: str) -> str:
    import shlex

    return shlex.quote(word)


def _ps(name: str, description: str, target: float, cold: bool) -> Callable[[Context], Result]:
    def scenario(ctx: Context) -> Result:
        bench = ServicesBench.get(ctx)

        def one(side: Side, _i: int) -> float:
            bench.ssh.use(side)
            if cold:
                bench.ssh.sshd.exit_control_masters()
            argv = [bench.tool(side, "seamless-service-ps"), "--server", "--cluster", "remote"]
            elapsed, out = timed_in(argv, bench.env(side, ctx), bench.project)
            rows = [line for line in out.splitlines()[1:] if line.strip()]
            if len(rows) != N_SERVICES:
                raise BenchError(f"{side.name}: expected {N_SERVICES} rows, got:\n{out}")
            return elapsed

        return run_pairs(Result(name, description, target), ctx, one)

    return scenario


def timed_in(argv: list[str], env: dict[str, str], cwd: pathlib.Path) -> tuple[float, str]:
    import time

    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise BenchError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    return elapsed, proc.stdout


def scenario_resolve(ctx: Context) -> Result:
    bench = ServicesBench.get(ctx)
    args = ["--service", "hashserver", "--cluster", "remote", "--project", "myproj", "--stage", "s1"]

    def one(side: Side, _i: int) -> float:
        argv = [bench.tool(side, "seamless-service-resolve"), *args]
        return timed_in(argv, bench.env(side, ctx), bench.project)[0]

    return run_pairs(Result("service-resolve", "seamless-service-resolve (no SSH)", 0.5), ctx, one)


N_CONNECTIONS = 10


def _connection_home(ctx: Context) -> pathlib.Path:
    """A HOME like the bench's (same cluster file) holding 10 connection files, as the
    launcher writes them after a launch: 5 hashservers and 5 databases of the cluster."""
    home = ctx.tmp / "services-home-connections"
    if home.exists():
        return home
    (home / ".seamless").mkdir(parents=True)
    (home / ".seamless" / "clusters.yaml").write_text(CLUSTERS)
    client = home / ".remote-http-launcher" / "client"
    client.mkdir(parents=True)
    for index in range(N_CONNECTIONS):
        service = ("hashserver", "database")[index % 2]
        stage = f"s{index // 2}"
        key = f"{service}-remote-rw-myproj--STAGE-{stage}"
        meta = {
            "service": service,
            "cluster": "remote",
            "mode": "rw",
            "project": "myproj",
            "subproject": None,
            "stage": stage,
            "substage": None,
            "queue": None,
        }
        connection = {
            "key": key,
            "hostname": "127.0.0.1",
            "port": 5100 + index,
            "ssh_hostname": "rhltest-svc",
            "status": "running",
            "meta": meta,
        }
        (client / f"{key}.json").write_text(json.dumps(connection))
    return home


def scenario_ps_json(ctx: Context) -> Result:
    bench = ServicesBench.get(ctx)
    home = _connection_home(ctx)

    def one(side: Side, _i: int) -> float:
        env = bench.env(side, ctx)
        env["HOME"] = str(home)
        argv = [bench.tool(side, "seamless-service-ps"), "--json"]
        elapsed, out = timed_in(argv, env, bench.project)
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        if len(rows) != N_CONNECTIONS:
            raise BenchError(f"{side.name}: expected {N_CONNECTIONS} rows, got:\n{out}")
        return elapsed

    description = f"seamless-service-ps --json, client view, {N_CONNECTIONS} connection files (no SSH)"
    return run_pairs(Result("service-ps-json", description, 0.3), ctx, one)


SCENARIOS: dict[str, Callable[[Context], Result]] = {
    "service-ps-server": _ps(
        "service-ps-server", "seamless-service-ps --server, 6 services, master connection up", 0.3, cold=False
    ),
    "service-ps-cold": _ps(
        "service-ps-cold", "the same with no SSH connection open (a login each)", float("inf"), cold=True
    ),
    "service-resolve": scenario_resolve,
    "service-ps-json": scenario_ps_json,
}
