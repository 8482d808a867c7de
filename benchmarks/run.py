"""Benchmark our rhl-* helpers against the reference (remote-http-launcher 0.4.5), in one run.

Every scenario runs both implementations interleaved (ours, reference, ours, reference, ...)
after a warm-up, timing whole processes with ``time.perf_counter`` around ``subprocess.run``.
For each scenario it prints the median wall time of each side, the median of the pairwise
ratios ours/reference, the target ratio and PASS/MISS. See benchmarks/README.md.

Exit status: 0 (this is a measurement), unless ``--check`` is given and a target is missed
(1), or the benchmark itself could not run (2).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import floors

# benchmarks/launcher.py does "from run import ...": let it find this very module, not a second copy.
sys.modules.setdefault("run", sys.modules[__name__])

REPO = pathlib.Path(__file__).resolve().parent.parent
REFERENCE_VERSION = "0.4.5"
WARMUP = 2
#: A process of about 10 ms varies by some 10% from one run to the next, so the median of 12
#: pairwise ratios moves by about 0.04 between runs of the benchmark: scenarios whose round
#: takes under FAST_ROUND seconds run at least FAST_RUNS pairs (a few seconds more in all).
FAST_ROUND = 0.2
FAST_RUNS = 60
#: The start-up-bound scenarios (and many_hosts.py's plain figure) pass at their target, or
#: within this many times their floor measured in the same run (PASS*; see Result.floor_bound).
FLOOR_BOUND = 1.10
N_STATE_FILES = 10_000
N_LIVE_ROWS = 10  # state rows pointing at a real, live process
N_PROJECTS, N_STAGES, N_BUFFERS = 10, 2, 1000  # 10 project dirs x 1,000 buffers = 10,000 files

SERVICE_CODE = (
    "import sys, time\n"
    "sys.stdout.write('ready\\n'); sys.stdout.flush()\n"
    "try:\n"
    "    while True:\n"
    "        time.sleep(3600)\n"
    "except KeyboardInterrupt:\n"
    "    pass\n"
)


class BenchError(Exception):
    """The benchmark itself could not run (not a performance result)."""


@dataclass
class Side:
    name: str  # "ours" | "reference"
    bin: pathlib.Path

    def tool(self, command: str) -> str:
        path = self.bin / command
        if not path.exists():
            raise BenchError(f"{self.name}: {path} does not exist")
        return str(path)


@dataclass
class Result:
    name: str
    description: str
    target: float
    ours: list[float] = field(default_factory=list)
    reference: list[float] = field(default_factory=list)
    #: Wall times of the stdlib floor (the least any implementation must do, see floors.py),
    #: timed in the same interleaving; empty when the scenario has none.
    floor: list[float] = field(default_factory=list)
    #: For a scenario whose stdlib floor is close to (or over) ``target`` times the reference,
    #: because the interpreter's own start-up is most of it: the most ours may cost over the
    #: floor, measured in the same run. The scenario passes at the target, or within this bound
    #: of what an implementation that does nothing else costs (``PASS*``, with a note).
    floor_bound: float | None = None

    @property
    def over_floor(self) -> float | None:
        """Median of the pairwise ratios ours/floor (how far we are from the floor)."""
        return _median_ratio(self.ours, self.floor) if self.floor else None

    @property
    def ratio(self) -> float:
        return _median_ratio(self.ours, self.reference)

    @property
    def floor_ratio(self) -> float | None:
        """Median of the pairwise ratios floor/reference: the best any implementation gets."""
        return _median_ratio(self.floor, self.reference) if self.floor else None

    @property
    def at_floor_bound(self) -> bool:
        """Over the target, but within ``floor_bound`` of the floor."""
        over = self.over_floor
        return (
            self.ratio > self.target
            and self.floor_bound is not None
            and over is not None
            and over <= self.floor_bound
        )

    @property
    def passed(self) -> bool:
        return self.ratio <= self.target or self.at_floor_bound


def _median_ratio(tops: list[float], bottoms: list[float]) -> float:
    """Median of the pairwise ratios: run i of one side over run i of the other."""
    return statistics.median(a / b for a, b in zip(tops, bottoms, strict=True))


def base_env(state_dir: pathlib.Path) -> dict[str, str]:
    env = dict(os.environ)
    env["REMOTE_HTTP_LAUNCHER_DIR"] = str(state_dir)
    # Nothing that changes how Python starts or what the helpers print.
    for var in (
        "PYTHONPROFILEIMPORTTIME",
        "PYTHONDEVMODE",
        "PYTHONTRACEMALLOC",
        "PYTHONVERBOSE",
        "PYTHONDONTWRITEBYTECODE",
        "RHL_DEBUG",
    ):
        env.pop(var, None)
    return env


def timed(argv: list[str], env: dict[str, str], *, capture: bool = False) -> tuple[float, str]:
    """Run argv; return (wall seconds, stdout if captured). Raise BenchError on failure."""
    stdout = subprocess.PIPE if capture else subprocess.DEVNULL
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise BenchError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    return elapsed, proc.stdout if capture else ""


# --------------------------------------------------------------------------- reference venv


def ensure_reference() -> pathlib.Path:
    """bin/ of the remote-http-launcher 0.4.5 venv the test suite uses too (tests/sshd_support.py:
    built once from the system Python under /var/tmp/rhltest, so the svc account can run it)."""
    sys.path.insert(0, str(REPO / "tests"))
    from sshd_support import ensure_reference_venv

    print(
        f"using remote-http-launcher=={REFERENCE_VERSION} (built once if missing)",
        file=sys.stderr,
        flush=True,
    )
    return ensure_reference_venv()


# --------------------------------------------------------------------------- scenarios


@dataclass
class Context:
    ours: Side
    reference: Side
    tmp: pathlib.Path
    runs: int
    cleanups: list[Callable[[], None]] = field(default_factory=list)


def run_pairs(
    result: Result,
    ctx: Context,
    one: Callable[[Side, int], float],
    floor: Callable[[int], float] | None = None,
) -> Result:
    """Warm-up, then ``runs`` interleaved pairs (ours first, then reference), and with
    ``floor`` a third run of the stdlib floor in each round. A scenario whose last warm-up
    round took under :data:`FAST_ROUND` seconds gets at least :data:`FAST_RUNS` pairs."""
    started = 0.0
    for i in range(WARMUP):
        started = time.perf_counter()
        one(ctx.ours, -1 - i)
        one(ctx.reference, -1 - i)
        if floor is not None:
            floor(-1 - i)
    fast = time.perf_counter() - started < FAST_ROUND
    for i in range(max(ctx.runs, FAST_RUNS) if fast else ctx.runs):
        result.ours.append(one(ctx.ours, i))
        result.reference.append(one(ctx.reference, i))
        if floor is not None:
            result.floor.append(floor(i))
    return result


def floor_runner(ctx: Context, code: str, args: list[str], env: dict[str, str]) -> Callable[[int], float]:
    """The floor: ``code`` (stdlib only, see floors.py) run by our side's interpreter."""
    python = str(ctx.ours.bin / "python")
    return lambda _i: timed([python, "-c", code, *args], env)[0]


def scenario_ps_help(ctx: Context) -> Result:
    env = base_env(ctx.tmp / "help-state")
    result = Result("ps-help", "rhl-ps --help", 0.45, floor_bound=FLOOR_BOUND)  # start-up is most of it
    help_text = timed([ctx.ours.tool("rhl-ps"), "--help"], env, capture=True)[1]
    floor = floor_runner(ctx, floors.PRINT, [help_text], env)
    return run_pairs(result, ctx, lambda side, _i: timed([side.tool("rhl-ps"), "--help"], env)[0], floor)


def dead_pids(count: int) -> list[int]:
    """PIDs of processes that existed a moment ago and have been reaped."""
    pids = []
    for _ in range(count):
        proc = subprocess.Popen(["true"])
        proc.wait()
        pids.append(proc.pid)
    return pids


def build_state_dir(ctx: Context) -> pathlib.Path:
    base = ctx.tmp / "ps-state"
    server = base / "server"
    server.mkdir(parents=True)
    (base / "client").mkdir()
    live = subprocess.Popen(["sleep", "3600"], start_new_session=True)

    def stop_live() -> None:
        live.kill()
        live.wait()

    ctx.cleanups.append(stop_live)
    time.sleep(0.05)  # state files are written after the process started
    pid_max = int(pathlib.Path("/proc/sys/kernel/pid_max").read_text())
    reaped = dead_pids(20)
    uid = os.getuid()
    live_every = N_STATE_FILES // N_LIVE_ROWS
    for i in range(N_STATE_FILES):
        project, stage = f"proj{i % 37:02d}", ("prod", "dev", "test", "ci")[i % 4]
        key = f"cluster-a--{project}--{stage}-{i:05d}"
        kind = i % 20
        if i % live_every == 3:
            status, pid = "running", live.pid
        elif kind == 0:
            status, pid = "failed", pid_max + 1 + i
        elif kind == 1:
            status, pid = "stale", reaped[(i // 20) % len(reaped)]
        elif kind == 2:
            status, pid = "starting", pid_max + 1 + i
        elif kind < 6:
            status, pid = "running", reaped[(i // 20) % len(reaped)]
        else:
            status, pid = "running", pid_max + 1 + i
        port = 5000 + i
        data = {
            "workdir": f"/tmp/rhl-work/{key}",
            "log": str(server / f"{key}.log"),
            "command": f"hashserver --port-range 5000 5100 --status-file /tmp/rhl-work/{key}/status.json "
            f"--directory /data/buffers/{project}/{stage} --layout prefix",
            "uid": uid,
            "pid": pid,
            "status": status,
            "port": port,
            "network_interface": "127.0.0.1",
            "started_at": 1795000000.0 + i,
            "meta": {
                "service": "hashserver",
                "cluster": "cluster-a",
                "project": project,
                "stage": stage,
                "protocol": "http",
                "timeout": 600,
            },
        }
        (server / f"{key}.json").write_text(json.dumps(data, indent=2) + "\n")
    return base


def scenario_ps_json(ctx: Context) -> Result:
    env = base_env(build_state_dir(ctx))
    for side in (ctx.ours, ctx.reference):  # once: both list every state file
        _, out = timed([side.tool("rhl-ps"), "--json"], env, capture=True)
        lines = out.count("\n")
        if lines != N_STATE_FILES:
            raise BenchError(f"{side.name}: rhl-ps --json printed {lines} lines, expected {N_STATE_FILES}")
        running = sum(1 for line in out.splitlines() if json.loads(line).get("status") == "running")
        if running < N_LIVE_ROWS:  # more only if a reaped PID was reused meanwhile
            raise BenchError(f"{side.name}: {running} running rows, expected {N_LIVE_ROWS}")
    result = Result("ps-json", f"rhl-ps --json, {N_STATE_FILES:,} state files", 0.75)
    floor = floor_runner(ctx, floors.PS_JSON, [env["REMOTE_HTTP_LAUNCHER_DIR"]], env)
    return run_pairs(result, ctx, lambda side, _i: timed([side.tool("rhl-ps"), "--json"], env)[0], floor)


@contextmanager
def service(state_dir: pathlib.Path, key: str) -> Iterator[None]:
    """A fresh service in its own session that exits on SIGINT, with its state file."""
    server = state_dir / "server"
    server.mkdir(parents=True, exist_ok=True)
    log = server / f"{key}.log"
    with open(log, "wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVICE_CODE],
            stdout=subprocess.PIPE,
            stderr=log_file,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        assert proc.stdout is not None
        if proc.stdout.readline() != b"ready\n":
            raise BenchError("benchmark service did not start")
        proc.stdout.close()
        # Reap as soon as it exits: a zombie still answers kill(pid, 0), and the reference
        # would then wait out its whole SIGINT and SIGTERM grace periods.
        reaper = threading.Thread(target=proc.wait, daemon=True)
        reaper.start()
        data = {
            "workdir": str(state_dir),
            "log": str(log),
            "command": f"{sys.executable} -c ...",
            "uid": os.getuid(),
            "pid": proc.pid,
            "status": "running",
            "port": 5999,
            "network_interface": "127.0.0.1",
            "meta": {"service": "bench"},
        }
        (server / f"{key}.json").write_text(json.dumps(data) + "\n")
        yield
        reaper.join(timeout=15)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def scenario_stop(ctx: Context) -> Result:
    dirs = {side.name: ctx.tmp / f"stop-{side.name}" for side in (ctx.ours, ctx.reference)}

    def one(side: Side, i: int) -> float:
        key = f"cluster-a--bench--stop-{i + WARMUP:03d}"
        state_dir = dirs[side.name]
        with service(state_dir, key):
            elapsed, out = timed([side.tool("rhl-stop"), key], base_env(state_dir), capture=i < 0)
        if i < 0 and out.strip() != f"{key}: stopped":
            raise BenchError(f"{side.name}: rhl-stop printed {out.strip()!r}, expected '{key}: stopped'")
        return elapsed

    result = Result("stop", "rhl-stop KEY (service exits on SIGINT)", 0.09)
    return run_pairs(result, ctx, one)


def build_buffer_tree(ctx: Context) -> pathlib.Path:
    """ROOT/projNN: 10 hashserver project directories holding 1,000 buffers each (flat layout),
    plus two STAGE-x sub-directories each. A --level 2 walk lists every project directory, so
    every one of the 10,000 buffer files is seen by both implementations."""
    root = ctx.tmp / "buffers"
    for p in range(N_PROJECTS):
        project = root / f"proj{p:02d}"
        project.mkdir(parents=True)
        (project / ".HASHSERVER_PREFIX").write_text("")
        for b in range(N_BUFFERS):
            checksum = f"{p:02x}{b:04x}".ljust(64, "a")
            (project / checksum).write_bytes(b"x" * (b % 7 + 1))
        for s in range(N_STAGES):
            stage = project / f"STAGE-{s}"
            stage.mkdir()
            (stage / ".HASHSERVER_PREFIX").write_text("")
            (stage / ("b" * 64)).write_bytes(b"y")
    return root


def scenario_ps_persistent(ctx: Context) -> Result:
    root = build_buffer_tree(ctx)
    env = base_env(ctx.tmp / "persistent-state")
    # What the client asks for a hashserver root (seamless-service-ps --persistent).
    argv_tail = ["--level", "2", "--marker", ".HASHSERVER_PREFIX", "--json", str(root)]
    expected = N_PROJECTS * (N_STAGES + 1)
    for side in (ctx.ours, ctx.reference):
        _, out = timed([side.tool("rhl-ps-persistent"), *argv_tail], env, capture=True)
        if out.count("\n") != expected:
            raise BenchError(
                f"{side.name}: rhl-ps-persistent printed {out.count(chr(10))} rows, expected {expected}"
            )
    files = N_PROJECTS * N_BUFFERS
    result = Result("ps-persistent", f"rhl-ps-persistent --level 2 --marker M --json, {files:,} files", 0.36)
    floor = floor_runner(ctx, floors.PS_PERSISTENT, [str(root)], env)
    return run_pairs(
        result, ctx, lambda side, _i: timed([side.tool("rhl-ps-persistent"), *argv_tail], env)[0], floor
    )


SCENARIOS: dict[str, Callable[[Context], Result]] = {
    "ps-help": scenario_ps_help,
    "ps-json": scenario_ps_json,
    "stop": scenario_stop,
    "ps-persistent": scenario_ps_persistent,
}


def all_scenarios() -> dict[str, Callable[[Context], Result]]:
    """The helper scenarios above plus the launcher's, the guard's and the seamless-service-*
    commands' (launcher.py, guard.py, services.py)."""
    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    from guard import SCENARIOS as GUARD_SCENARIOS
    from launcher import SCENARIOS as LAUNCHER_SCENARIOS
    from services import SCENARIOS as SERVICE_SCENARIOS

    return {**SCENARIOS, **LAUNCHER_SCENARIOS, **GUARD_SCENARIOS, **SERVICE_SCENARIOS}


# --------------------------------------------------------------------------- report


def _verdict(r: Result) -> str:
    """PASS, MISS, ``-`` (no target), or PASS* (passed at the floor bound, see the notes)."""
    if r.target == float("inf"):
        return "-"
    if not r.passed:
        return "MISS"
    return "PASS*" if r.at_floor_bound else "PASS"


def print_report(results: list[Result]) -> None:
    header = (
        f"{'scenario':<21} {'ours ms':>9} {'ref ms':>9} {'ratio':>7} {'target':>7}  {'result':<6}"
        f" {'floor ms':>9} {'x floor':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        over = r.over_floor
        floor = f"{'-':>9} {'-':>7}"
        if over is not None:
            floor = f"{statistics.median(r.floor) * 1000:9.1f} {over:7.2f}"
        print(
            f"{r.name:<21} {statistics.median(r.ours) * 1000:9.1f} "
            f"{statistics.median(r.reference) * 1000:9.1f} {r.ratio:7.3f} {'<=' + format(r.target, 'g'):>7}"
            f"  {_verdict(r):<6} {floor}"
        )
    print()
    for r in results:
        print(f"  {r.name}: {r.description}")
    for r in results:
        if r.at_floor_bound:
            print(
                f"  {r.name}: PASS* at the floor bound: the floor alone is {r.floor_ratio:.3f} of the"
                f" reference (target {r.target:g}); ours is {r.over_floor:.2f}x the floor"
                f" (bound {r.floor_bound:g}x)"
            )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--runs",
        type=int,
        default=15,
        help="measured pairs per scenario (default 15; at least 60 when a round takes under 0.2 s)",
    )
    parser.add_argument(
        "--ours-bin",
        type=pathlib.Path,
        default=pathlib.Path(sys.executable).parent,
        help="bin directory with our rhl-* helpers (default: this Python's bin)",
    )
    parser.add_argument(
        "--reference-bin",
        type=pathlib.Path,
        default=None,
        help=f"bin directory with the reference helpers (default: a cached venv "
        f"with remote-http-launcher=={REFERENCE_VERSION} under /var/tmp/rhltest, shared with the tests)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(all_scenarios()),
        metavar="NAME",
        help=f"run only this scenario (repeatable): {', '.join(all_scenarios())}",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if any target is missed")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        reference_bin = args.reference_bin or ensure_reference()
        ours, reference = Side("ours", args.ours_bin), Side("reference", reference_bin)
        for side in (ours, reference):
            side.tool("rhl-ps")
        scenarios = all_scenarios()
        names = [name for name in scenarios if not args.only or name in args.only]
        print(
            f"rhl benchmarks: {args.runs} interleaved runs after {WARMUP} warm-up, "
            f"Python {platform.python_version()}, {os.cpu_count()} CPUs"
        )
        print(f"  ours:      {ours.bin}\n  reference: {reference.bin}\n", flush=True)
        results = []
        with tempfile.TemporaryDirectory(prefix="rhl-bench-") as tmp:
            ctx = Context(ours, reference, pathlib.Path(tmp), args.runs)
            try:
                for name in names:
                    started = time.perf_counter()
                    results.append(scenarios[name](ctx))
                    print(f"  {name}: done in {time.perf_counter() - started:.1f} s", flush=True)
            finally:
                for cleanup in reversed(ctx.cleanups):
                    cleanup()
    except (BenchError, subprocess.SubprocessError, OSError) as exc:
        print(f"benchmark error: {exc}", file=sys.stderr)
        return 2
    print()
    print_report(results)
    missed = [r.name for r in results if not r.passed]
    if args.check and missed:
        print(f"\nmissed targets: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
