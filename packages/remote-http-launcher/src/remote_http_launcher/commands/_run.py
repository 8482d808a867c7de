"""The one runner: ``--help``/``--version`` from the table, the strict parser, the body, errors.

Order for every command: (1) ``--help``/``-h``/``--version`` among the options (before ``--``
and, for a command whose options end at its first positional word, before that word) prints
the table's text; (2) :func:`parse`; a usage error prints one line ``<name>: <message>`` (worded
by click built from the same table when click can word it, e.g. ``Missing argument 'KEY'.``;
else the parser's reason) and exits with the command's usage exit code; (3) the body runs under
:func:`..output.run_reporting`: an ``RhlError`` becomes one line and its exit code,
``UsageProblem`` the usage exit code, ``KeyboardInterrupt`` 130, a closed stdout 141, anything
else an ``internal error`` line and 1.
"""

# Quoted annotations, no __future__ import: rhl-guard's decision loads this module (guard/__init__.py).

import sys

from ._table import COMMANDS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import IO, Any, NoReturn

    from ._table import Command


class UsageError(Exception):
    """``argv`` does not parse for this command: ``message`` (one line, without the command's
    name) and the command's usage ``exit_code``."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def command(name: str) -> "Command":
    try:
        return COMMANDS[name]
    except KeyError:
        raise UsageError(f"not a command of remote-http-launcher: {name!r}", 2) from None


def info_request(name: str, argv: "Sequence[str]") -> str | None:
    """``"help"`` or ``"version"`` when ``argv`` asks for it, else None."""
    interspersed = command(name).interspersed
    for token in argv:
        if token == "--":
            return None
        if token in ("--help", "-h"):
            return "help"
        if token == "--version":
            return "version"
        if not interspersed and (token == "-" or not token.startswith("-")):
            return None
    return None


def render_info(name: str, what: str) -> str:
    """The ``--help`` (``what == "help"``) or ``--version`` text of ``name``."""
    if what == "version":
        from .._version import __version__

        return f"{name}, version {__version__}\n"
    from ._help import render

    return render(command(name))


def parse(name: str, argv: "Sequence[str]") -> "dict[str, Any]":
    """The values the body of ``name`` is called with, or :class:`UsageError` (the parser's
    reason: ``unknown option '--x'``, ``abbreviated option ...``, ``given more than once``,
    ``requires a value``, ``takes no value``, ``arguments not accepted ...``)."""
    from ._parse import ParseError
    from ._parse import parse as parse_table

    entry = command(name)
    try:
        return parse_table(entry, argv)
    except ParseError as exc:
        raise UsageError(exc.reason, entry.usage_exit_code) from None


def _body(entry: "Command") -> "Any":
    assert entry.body is not None, entry.name
    module, _, function = entry.body.partition(":")
    # importlib.import_module for an absolute name, without importing importlib (and warnings)
    __import__(module)
    return getattr(sys.modules[module], function)


def run_parsed(name: str, values: "dict[str, Any]") -> int:
    """Run the body of ``name`` with parsed ``values`` on ``sys.stdout``/``sys.stderr``;
    every failure becomes one line on stderr and the documented exit code."""
    from ..output import run_reporting

    entry = command(name)
    body = _body(entry)
    return run_reporting(name, entry.usage_exit_code, lambda: body(**values))


def _usage_wording(name: str, argv: "Sequence[str]") -> str | None:
    try:
        from ._click import usage_message
    except ImportError:  # pragma: no cover - click is a dependency; the parser's words do too
        return None
    return usage_message(name, list(argv))


def run_argv(name: str, argv: "Sequence[str]") -> int:
    """The runner on the current ``sys.stdout``/``sys.stderr``."""
    from ..output import finish, say

    try:
        entry = command(name)
    except UsageError as exc:
        say("remote-http-launcher", exc.message)
        return exc.exit_code
    if entry.delegate is not None:  # the launcher parses its own argv (launch.cli)
        import importlib

        module, _, function = entry.delegate.partition(":")
        return int(getattr(importlib.import_module(module), function)(list(argv)) or 0)
    what = info_request(name, argv)
    if what is not None:
        if sys.stdout is None:
            return 141
        sys.stdout.write(render_info(name, what))
        return finish(0)
    try:
        values = parse(name, argv)
    except UsageError as exc:
        say(name, _usage_wording(name, argv) or exc.message)
        return exc.exit_code
    return run_parsed(name, values)


_LOCK: "list[Any]" = []


def invoke(
    name: str, argv: "Sequence[str]", *, stdout: "IO[str] | None" = None, stderr: "IO[str] | None" = None
) -> int:
    """Run command ``name`` with ``argv`` in this process; return its exit code.

    ``stdout``/``stderr`` (text streams) default to ``sys.stdout``/``sys.stderr``. While the
    command runs, ``sys.stdout``/``sys.stderr`` are these streams (so one invocation with
    streams runs at a time per process: a lock). Binary output (``rhl-logs``) goes to
    ``stdout.buffer`` when the stream has one (as ``sys.stdout`` does); otherwise it is
    collected and written to ``stdout`` when the command returns, decoded as UTF-8 with
    invalid bytes replaced.
    """
    if stdout is None and stderr is None:
        return run_argv(name, argv)
    if not _LOCK:
        import _thread  # threading.RLock is this one; ``threading`` itself costs a launch 0.7 ms

        _LOCK.append(_thread.RLock())
    import io

    target_out = stdout if stdout is not None else sys.stdout
    target_err = stderr if stderr is not None else sys.stderr
    raw: io.BytesIO | None = None
    out: Any = target_out
    if not hasattr(target_out, "buffer"):
        raw = io.BytesIO()
        out = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", write_through=True)
    with _LOCK[0]:
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, target_err
        try:
            code = run_argv(name, argv)
        finally:
            sys.stdout, sys.stderr = saved
    if raw is not None:
        out.flush()
        target_out.write(raw.getvalue().decode("utf-8", errors="replace"))
    return code


def main(name: str) -> "NoReturn":
    """What every installed script calls: run ``name`` with ``sys.argv[1:]`` and exit.

    With ``_<NAME>_COMPLETE`` in the environment (``_RHL_PS_COMPLETE=bash_source rhl-ps``),
    click built from the table answers the shell's completion request instead.
    """
    import os

    entry = COMMANDS.get(name)
    variable = "_" + name.upper().replace("-", "_") + "_COMPLETE"
    if entry is not None and entry.delegate is None and variable in os.environ:
        from ._click import complete

        complete(name, sys.argv[1:])
    code = run_argv(name, sys.argv[1:])
    if entry is not None and entry.delegate is None:
        end_process(code)
    raise SystemExit(code)


def teardown_needed() -> bool:
    """Whether ending this process needs the interpreter's teardown: another thread lives
    (Python joins non-daemon threads at exit), or an ``atexit`` callback is registered
    (``logging``, ``tempfile``'s cleanup and ``concurrent.futures`` register theirs). Unknown
    (an interpreter without ``atexit._ncallbacks``) counts as needed."""
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return True
    import atexit

    count = getattr(atexit, "_ncallbacks", None)
    return count is None or count() != 0


def end_process(code: int) -> "NoReturn":
    """End a helper's process with ``code``: flush both streams, then ``os._exit`` unless
    :func:`teardown_needed`.

    Tearing the interpreter down (destroying every module and object) costs about 1.4 ms
    here, a seventh of a helper's whole start-up, and a helper runs on every SSH call. It
    holds nothing that needs it: state and log writes are descriptor-level and complete
    when the body returns, files are closed when their function returns.
    """
    import os

    for stream in (sys.stdout, sys.stderr):
        if stream is None:
            continue
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):
            pass
    if teardown_needed():
        raise SystemExit(code)
    os._exit(code)
