"""Entry points of the installed ``seamless-service-*`` scripts.

Each first offers the command line to :mod:`..fast` (answers without importing click or the
configuration layer when it can), then runs the click command.
"""

from __future__ import annotations

import importlib
import sys

from . import COMMANDS


def _main(command: str) -> None:
    from .. import fast

    code = fast.run(command, sys.argv[1:])
    if code is not None:
        sys.stdout.flush()
        raise SystemExit(code)
    importlib.import_module(f"{__package__}.{COMMANDS[command]}").main()


def ps() -> None:
    _main("seamless-service-ps")


def stop() -> None:
    _main("seamless-service-stop")


def rm() -> None:
    _main("seamless-service-rm")


def logs() -> None:
    _main("seamless-service-logs")


def inspect() -> None:
    _main("seamless-service-inspect")


def clear() -> None:
    _main("seamless-service-clear")


def resolve() -> None:
    _main("seamless-service-resolve")


def start() -> None:
    _main("seamless-service-start")


def restart() -> None:
    _main("seamless-service-restart")


def doctor() -> None:
    _main("seamless-service-doctor")
