"""Command-line entry points of the server-side helpers.

Each helper is a click command in its own module (``cli/<name>.py``, attribute ``command``);
the guard parses with these very objects. The scripts installed for the helpers call
:func:`entry`, which answers ``--help`` and ``--version`` from pre-rendered text without
importing click: the helpers start on every SSH call, and most of their cost is start-up.
"""

from __future__ import annotations

import os
import sys

#: Helper name -> module in this package defining ``command``.
COMMAND_MODULES = {
    "rhl-ps": "ps",
    "rhl-ps-persistent": "ps_persistent",
    "rhl-logs": "logs",
    "rhl-inspect": "inspect",
    "rhl-stop": "stop",
    "rhl-rm": "rm",
    "rhl-clear": "clear",
    "rhl-pid-alive": "pid_alive",
    "rhl-verify-port": "verify_port",
    "rhl-handshake": "handshake",
    "rhl-launch-service": "launch_service",
    "rhl-cache-conda": "cache_conda",
    "rhl-conda-info": "conda_info",
    "rhl-jobs": "jobs",
}

#: Helpers whose arguments after the first positional word belong to somebody else.
_NO_FAST_HELP = frozenset(["rhl-launch-service"])


def load_command(name: str):  # type: ignore[no-untyped-def]
    """The click command object of helper ``name`` (imports click)."""
    import importlib

    return importlib.import_module(f"{__name__}.{COMMAND_MODULES[name]}").command


def entry(name: str) -> None:
    """Run helper ``name`` with ``sys.argv``; never returns."""
    argv = sys.argv[1:]
    # Shell completion (``_RHL_PS_COMPLETE=bash_source rhl-ps``) and RHL_NO_FAST_PATH go to click.
    if os.environ.get("RHL_NO_FAST_PATH") or f"_{name.upper().replace('-', '_')}_COMPLETE" in os.environ:
        load_command(name).main(args=argv, prog_name=name)
    if name not in _NO_FAST_HELP:
        head = argv[: argv.index("--")] if "--" in argv else argv
        if "--help" in head or "-h" in head:
            from ._helptext import HELP

            sys.stdout.write(HELP[name])
            raise SystemExit(0)
        if "--version" in head:
            from .._version import __version__

            sys.stdout.write(f"{name}, version {__version__}\n")
            raise SystemExit(0)
    run_fast(name, argv)
    load_command(name).main(args=argv, prog_name=name)
    raise SystemExit(0)  # pragma: no cover - main() always exits


def run_fast(name: str, argv: list[str]) -> None:
    """Parse with the generated spec and run the command body without importing click.

    Returns (without running anything) when the argv is not for the fast path; then click
    parses it and words whatever is wrong with it.
    """
    import importlib

    from ._fastparse import NotFast, parse
    from ._specs import SPECS

    spec = SPECS[name]
    try:
        values = parse(spec, argv)
    except NotFast:
        return
    from ._out import run_reporting

    body = importlib.import_module(f"{__package__.rsplit('.', 1)[0]}.helpers.{COMMAND_MODULES[name]}").run
    raise SystemExit(run_reporting(name, spec["usage_exit_code"], lambda: body(**values)))
