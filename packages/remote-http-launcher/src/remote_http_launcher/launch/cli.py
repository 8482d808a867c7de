"""``remote-http-launcher`` as a Python function (remote-http-launcher 0.4.5's ``main``).

The command line itself is an entry of the command table (:mod:`remote_http_launcher.commands`):
one help text, one parser, and :func:`.command.launch` as its body.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """``remote-http-launcher`` with ``argv`` (default ``sys.argv[1:]``); the exit code."""
    from ..commands import invoke

    return invoke("remote-http-launcher", list(sys.argv[1:] if argv is None else argv))
