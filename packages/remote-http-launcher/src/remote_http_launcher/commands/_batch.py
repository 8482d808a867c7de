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


def run_items(items: Sequence[tuple[list[str], dict[str, Any] | None]]) -> int:
    """Run parsed items in order, each with its own captured stdout/stderr; print one record
    per item on ``sys.stdout`` as soon as it is done (the guard calls this with the values it
    checked)."""
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
    return 0


def run(lines: tuple[str, ...]) -> int:
    """The body of ``rhl-batch``."""
    return run_items(batch_items(lines))
