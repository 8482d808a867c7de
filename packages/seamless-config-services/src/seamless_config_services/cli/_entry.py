"""Entry points of the installed ``seamless-service-*`` scripts.

One path per command: ``--version`` is answered here (before any import), everything else by
the command's click module, imported only for the command that runs (as hatch's lazy CLI
does). What is slow to compute is cached under :func:`..api.load`, invisible to this layer.
"""

from __future__ import annotations

import importlib
import sys

from . import COMMANDS

#: The distribution that installs these commands: ``--version`` names it, because the same
#: script names are also installed by seamless-config 0.3.2 (see docs/services/install.md).
DISTRIBUTION = "seamless-config-services"


def version_requested(argv: list[str]) -> bool:
    """True if click would answer ``--version`` first: it comes before any ``--help``/``-h``
    and before a ``--`` (both eager options act in the order given)."""
    for arg in argv:
        if arg == "--" or arg in ("--help", "-h"):
            return False
        if arg == "--version":
            return True
    return False


def version_line(command: str) -> str:
    from .._version import __version__

    return f"{command}, version {__version__} ({DISTRIBUTION})"


def _main(command: str) -> None:
    if version_requested(sys.argv[1:]):
        # Answered here, before any import: says which distribution the script belongs to.
        print(version_line(command))
        sys.stdout.flush()
        raise SystemExit(0)
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
