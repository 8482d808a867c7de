"""rhl-guard scenarios: ours against remote-http-launcher 0.4.5's guard, interleaved.

Both guards run as sshd runs them: the guard's options as argv, the request in
``SSH_ORIGINAL_COMMAND``. Each run times the whole process with ``time.perf_counter`` around
``subprocess.run``.

* ``guard-reject``: ``kill -1 1``, refused by both (the decision, a line on stderr, and for
  ours the audit record).
* ``guard-accept``: the decision on ``PATH=... rhl-ps --json`` (0.4.5's seamless form). Ours
  with ``--dry-run`` (decide, print, exit); the reference execs the helper next to its own
  script, so a copy of its guard is run next to an ``rhl-ps`` that is ``/bin/true``: its
  decision plus one ``exec`` of a trivial program. Its floor is an interpreter that reads
  the request and names the helper (floors.GUARD), whose start-up alone is about the target
  here: a decision over the target still passes within 1.10 times that floor, measured in the
  same run (``PASS*``, with a note). ``guard-accept-I`` is the same decision in the
  admin guide's isolated form, ``python3 -I -S rhl-guard``, beside the same floor run so (no
  target: that form exists for what it keeps out, and its floor does not even find a package,
  which ours must: add site-packages and the directories its ``.pth`` files list).
* ``guard-ps-json``: what a client waits for: the same command, really run, over an empty
  state directory. Ours runs the helper in the guard's process; the reference starts its
  Python helper after its guard (no target: it is the helper's start-up too).
* ``guard-clear``: the decision on a path helper (``rhl-clear DIR`` under
  ``--clear-policy seamless``), as ``guard-accept`` (no target: policies are built only for
  the path helpers, which are rare).

Run alone (``python benchmarks/guard.py [--runs N] [--check]``) or from run.py.
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
import time
from collections.abc import Callable

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import floors
from run import FLOOR_BOUND, BenchError, Context, Result, Side, base_env, run_pairs

PREPEND = "PATH=$HOME/miniforge3/bin:$HOME/miniconda3/bin:$PATH"
GUARD_OPTIONS = ["--clear-policy", "seamless"]


def timed_exit(argv: list[str], env: dict[str, str], expect: int) -> tuple[float, str]:
    """Run argv; return (wall seconds, stderr). Raise BenchError on an unexpected exit code."""
    start = time.perf_counter()
    proc = subprocess.run(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != expect:
        raise BenchError(
            f"{' '.join(argv)} exited {proc.returncode}, expected {expect}: {proc.stderr[-500:]}"
        )
    return elapsed, proc.stderr


def _world(ctx: Context) -> tuple[pathlib.Path, pathlib.Path]:
    """(home, directory with the reference guard next to /bin/true helpers), made once."""
    home = ctx.tmp / "guard-home"
    stub_bin = ctx.tmp / "guard-reference-stubs"
    if not stub_bin.exists():
        stage = home / "data" / "proj" / "STAGE-a"
        stage.mkdir(parents=True)
        (stage / ".HASHSERVER_PREFIX").write_text("")
        stub_bin.mkdir()
        shutil.copy2(ctx.reference.tool("rhl-guard"), stub_bin / "rhl-guard")
        for helper in ("rhl-ps", "rhl-clear"):
            (stub_bin / helper).symlink_to(shutil.which("true") or "/bin/true")
    return home, stub_bin


def _env(home: pathlib.Path, command: str) -> dict[str, str]:
    env = base_env(home / ".remote-http-launcher")
    env.pop("REMOTE_HTTP_LAUNCHER_DIR", None)  # both sides use $HOME/.remote-http-launcher
    env["HOME"] = str(home)
    env["SSH_ORIGINAL_COMMAND"] = command
    return env


def _pairs(
    result: Result,
    ctx: Context,
    ours: Callable[[], float],
    reference: Callable[[], float],
    floor: Callable[[], float] | None = None,
) -> Result:
    """run.py's interleaved pairs, for scenarios that time plain callables."""
    timed_floor = None if floor is None else (lambda _i, floor=floor: floor())
    return run_pairs(result, ctx, lambda side, _i: ours() if side is ctx.ours else reference(), timed_floor)


def scenario_guard_reject(ctx: Context) -> Result:
    home, _ = _world(ctx)
    env = _env(home, "kill -1 1")
    ours = [ctx.ours.tool("rhl-guard"), *GUARD_OPTIONS]
    reference = [ctx.reference.tool("rhl-guard"), *GUARD_OPTIONS]
    for argv, code in ((ours, 77), (reference, 1)):
        _, err = timed_exit(argv, env, code)
        if not err.startswith("rhl-guard: rejected: "):
            raise BenchError(f"{argv[0]}: unexpected answer {err!r}")
    result = Result("guard-reject", "rhl-guard refusing `kill -1 1`", 0.4)
    return _pairs(result, ctx, lambda: timed_exit(ours, env, 77)[0], lambda: timed_exit(reference, env, 1)[0])


def _decision(
    name: str, description: str, target: float, command: str, *, isolated: bool = False
) -> Callable[[Context], Result]:
    """The decision on ``command`` (ours with --dry-run, the reference next to /bin/true
    helpers) and the GUARD floor; ``isolated``: ours and the floor started with ``-I -S``."""

    def scenario(ctx: Context) -> Result:
        home, stub_bin = _world(ctx)
        env = _env(home, command.format(home=home))
        options = [*GUARD_OPTIONS, "--dry-run"]
        ours = _isolated(ctx.ours, *options) if isolated else [ctx.ours.tool("rhl-guard"), *options]
        reference = [str(stub_bin / "rhl-guard"), *GUARD_OPTIONS]
        for argv in (ours, reference):
            timed_exit(argv, env, 0)
        result = Result(name, description, target, floor_bound=FLOOR_BOUND)
        flags = ["-I", "-S"] if isolated else []
        floor = [ctx.ours.tool("python3"), *flags, "-c", floors.GUARD]
        return _pairs(
            result,
            ctx,
            lambda: timed_exit(ours, env, 0)[0],
            lambda: timed_exit(reference, env, 0)[0],
            lambda: timed_exit(floor, env, 0)[0],
        )

    return scenario


def scenario_guard_ps_json(ctx: Context) -> Result:
    home, _ = _world(ctx)
    env = _env(home, f"{PREPEND} rhl-ps --json")
    ours = [ctx.ours.tool("rhl-guard"), *GUARD_OPTIONS]
    reference = [ctx.reference.tool("rhl-guard"), *GUARD_OPTIONS]
    result = Result("guard-ps-json", "`rhl-ps --json` through the guard, empty state", float("inf"))
    return _pairs(result, ctx, lambda: timed_exit(ours, env, 0)[0], lambda: timed_exit(reference, env, 0)[0])


def _isolated(side: Side, *options: str) -> list[str]:
    """The admin guide's isolated form: ``python3 -I -S .../rhl-guard`` (ours only; the
    reference's script needs site)."""
    return [side.tool("python3"), "-I", "-S", side.tool("rhl-guard"), *options]


def scenario_guard_reject_isolated(ctx: Context) -> Result:
    home, _ = _world(ctx)
    env = _env(home, "kill -1 1")
    ours = _isolated(ctx.ours, *GUARD_OPTIONS)
    reference = [ctx.reference.tool("rhl-guard"), *GUARD_OPTIONS]
    timed_exit(ours, env, 77)
    result = Result("guard-reject-I", "as guard-reject, ours as `python3 -I -S rhl-guard`", 0.4)
    return _pairs(result, ctx, lambda: timed_exit(ours, env, 77)[0], lambda: timed_exit(reference, env, 1)[0])


SCENARIOS: dict[str, Callable[[Context], Result]] = {
    "guard-reject": scenario_guard_reject,
    "guard-accept": _decision(
        "guard-accept", "rhl-guard deciding `PATH=... rhl-ps --json`", 0.38, f"{PREPEND} rhl-ps --json"
    ),
    "guard-reject-I": scenario_guard_reject_isolated,
    "guard-accept-I": _decision(
        "guard-accept-I",
        "as guard-accept, ours as `python3 -I -S rhl-guard`",
        float("inf"),  # information: the isolated form is for safety, its speed the plain one's
        f"{PREPEND} rhl-ps --json",
        isolated=True,
    ),
    "guard-ps-json": scenario_guard_ps_json,
    "guard-clear": _decision(
        "guard-clear",
        "rhl-guard deciding `rhl-clear DIR` (seamless policy)",
        float("inf"),
        "rhl-clear {home}/data/proj/STAGE-a",
    ),
}


def main(argv: list[str] | None = None) -> int:
    """``python benchmarks/guard.py [run.py options]``: run.py with only the guard scenarios."""
    import run

    only = [word for name in SCENARIOS for word in ("--only", name)]
    return run.main([*(sys.argv[1:] if argv is None else argv), *only])


if __name__ == "__main__":
    sys.exit(main())
