"""rhl-batch: several helper command lines in one process (one SSH round trip per host).

Every line is split and parsed before any runs, so a line that would not run alone stops
the whole batch (usage error, exit 2, nothing done). The guard decides every line exactly as
if it came alone and then hands its checked values to :func:`run_items`, so both routes run
the same code after the decision.
"""

from __future__ import annotations

from ..errors import UsageProblem

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

NAME = "rhl-batch"
#: Helpers that never run inside a batch: a batch in a batch (unbounded nesting), and the
#: launch (it forks a supervisor and waits for a service: it needs its own call).
NOT_BATCHABLE = frozenset([NAME, "rhl-launch-service"])


def split_line(line: str, helpers: Sequence[str] | frozenset[str]) -> list[str]:
    """The words of one batch line, or :class:`UsageProblem` saying why it cannot run.

    Split as a POSIX shell would (``_words.split``), but nothing is a shell here: unquoted
    shell syntax and ``NAME=value`` prefixes are refused, the first word must be a helper of
    this installation by exact name, and not one of :data:`NOT_BATCHABLE`.
    """
    from ._words import TokenError, split

    try:
        words = split(line)
    except TokenError as exc:
        raise UsageProblem(f"line {line!r}: {exc}") from None
    if not words:
        raise UsageProblem(f"line {line!r}: empty command line")
    for _word, specials in words:
        if specials:
            raise UsageProblem(
                f"line {line!r}: shell syntax is not supported (no shell runs): {specials[0]!r}"
            )
    name = words[0][0]
    if name in NOT_BATCHABLE:
        raise UsageProblem(f"line {line!r}: {name} cannot run inside rhl-batch")
    if name not in helpers:
        raise UsageProblem(f"line {line!r}: not an rhl-* helper of this installation: {name[:120]!r}")
    return [word for word, _ in words]


def follows(name: str, values: dict[str, Any] | None) -> bool:
    """``rhl-logs --follow`` never ends: refused in a batch, whose output comes at the end."""
    return name == "rhl-logs" and bool(values and values.get("follow"))


def record(argv: list[str], rc: int, stdout: str, stderr: str) -> str:
    """One output line: ``{"argv", "rc", "stdout", "stderr"}`` (NDJSON, keys sorted)."""
    from ..output import ndjson

    return ndjson([{"argv": argv, "rc": rc, "stdout": stdout, "stderr": stderr}])


def batch_items(lines: Sequence[str]) -> list[tuple[list[str], dict[str, Any] | None]]:
    """Split and parse every line: ``[(words, values)]`` (values None: ``--help``/``--version``).

    Raises :class:`..errors.UsageProblem` for the first line that could not run, before
    anything runs.
    """
    from ._run import UsageError, info_request, parse
    from ._table import HELPERS

    items: list[tuple[list[str], dict[str, Any] | None]] = []
    for line in lines:
        words = split_line(line, HELPERS)
        name, argv = words[0], words[1:]
        if info_request(name, argv) is not None:
            items.append((words, None))
            continue
        try:
            values = parse(name, argv)
        except UsageError as exc:
            raise UsageProblem(f"line {line!r}: {name}: {exc.message}") from None
        if follows(name, values):
            raise UsageProblem(f"line {line!r}: rhl-logs --follow cannot run inside rhl-batch")
        items.append((words, values))
    return items


#: The seeds' PATH prepend, as the remote shell expands it (``$HOME`` from the environment).
_PREPEND_DIRS = ("miniforge3/bin", "miniconda3/bin")


def _plain_probe() -> dict[str, Any] | None:
    """What ``rhl-ps --version`` answers on the PATH the remote shell had before the seeds'
    prepend, or None when PATH does not start with the prepend (then that PATH is unknown).

    The same lookup the shell makes for a call without the prepend (first executable
    ``rhl-ps`` on that PATH; rc 127 when there is none), and the found one really runs, so
    the answer is the one ``ssh HOST 'rhl-ps --version'`` would give, without that call."""
    import os
    import shutil
    import subprocess

    home = os.environ.get("HOME", "")
    prefix = "".join(f"{home}/{directory}:" for directory in _PREPEND_DIRS)
    path = os.environ.get("PATH", "")
    if not home or not path.startswith(prefix):
        return None
    plain = path[len(prefix) :]
    argv = ["rhl-ps", "--version"]
    found = shutil.which(argv[0], path=plain)
    if found is None:
        return {"argv": argv, "rc": 127, "stdout": "", "stderr": f"{argv[0]}: not found\n"}
    try:
        done = subprocess.run(
            [found, *argv[1:]],
            env={**os.environ, "PATH": plain},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"argv": argv, "rc": 126, "stdout": "", "stderr": f"{argv[0]}: {exc}\n"}
    stdout, stderr = (raw.decode("utf-8", errors="replace") for raw in (done.stdout, done.stderr))
    return {"argv": argv, "rc": done.returncode, "stdout": stdout, "stderr": stderr}


def session_record(*, guarded: bool) -> str:
    """``--session``: ``{"session": {"guard", "forced_command", "plain"}}`` (NDJSON, keys
    sorted). ``guarded``: rhl-guard runs this batch (it says so itself: no environment
    variable a user could set fakes it); then ``plain`` is null, the guard decides what runs."""
    import os

    from ..output import ndjson

    facts = {
        "guard": "rhl-guard" if guarded else None,
        # rhl-guard is a forced command (it clears SSH_ORIGINAL_COMMAND before a helper runs).
        "forced_command": guarded or "SSH_ORIGINAL_COMMAND" in os.environ,
        "plain": None if guarded else _plain_probe(),
    }
    return ndjson([{"session": facts}])


def run_items(
    items: Sequence[tuple[list[str], dict[str, Any] | None]], *, session: bool = False, guarded: bool = False
) -> int:
    """Run parsed items in order, each with its own captured stdout/stderr; print one record
    per item on ``sys.stdout`` as soon as it is done (the guard calls this with the values it
    checked, and ``guarded``); ``session``: then the session record."""
    import io
    import sys

    from ..output import out
    from ._run import info_request, render_info, run_parsed

    for words, values in items:
        name, argv = words[0], words[1:]
        raw = io.BytesIO()
        inner_out = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", write_through=True)
        inner_err = io.StringIO()
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = inner_out, inner_err
        try:
            if values is None:
                inner_out.write(render_info(name, info_request(name, argv) or "help"))
                code = 0
            else:
                code = run_parsed(name, values)
        finally:
            sys.stdout, sys.stderr = saved
        inner_out.flush()
        out(record(words, code, raw.getvalue().decode("utf-8", errors="replace"), inner_err.getvalue()))
        sys.stdout.flush()
    if session:
        out(session_record(guarded=guarded))
    return 0


def run(lines: tuple[str, ...], session: bool = False) -> int:
    """The body of ``rhl-batch``."""
    return run_items(batch_items(lines), session=session)
