"""Entry points of the installed ``seamless-service-*`` scripts.

Every installed ``seamless-service-*`` script is the same stub calling :func:`main` with its
file name. One path per command: ``--version`` is answered here (before any import),
everything else by the runner (:mod:`._run`) from the command table (:mod:`._table`): the strict parser, the
help renderer and the body of the command that runs, imported only for it. click is built
from the same table only for shell completion and usage errors. What is slow to compute is
cached under :func:`..api.load`, invisible to this layer.
"""

from __future__ import annotations

import sys

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


def main(command: str) -> None:
    """Run the command ``command`` (``seamless-service-ps``, ...): what every installed script
    calls with its own file name (the scripts are identical plain stubs: pip's console-script
    wrapper imports ``re``, which costs more than a ``ps --json``)."""
    from . import COMMANDS

    if command not in COMMANDS:  # a stub copied or linked under another name
        sys.stderr.write(f"{command}: not a seamless-service command (one of: {', '.join(COMMANDS)})\n")
        raise SystemExit(2)
    if version_requested(sys.argv[1:]):
        # Answered here, before any import: says which distribution the script belongs to.
        print(version_line(command))
        sys.stdout.flush()
        raise SystemExit(0)
    # No garbage collection while the command starts: importing ~200 modules allocates
    # enough to trigger dozens of collections that find nothing to free (2-5 ms). The body
    # runs with it again (:func:`._common.run_body`), so a long --watch or --follow collects.
    import gc

    gc.disable()
    from ._run import main as run

    run(command)
