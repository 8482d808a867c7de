"""``python -m remote_http_launcher.cli HELPER [ARGS...]``: run one helper of this installation.

The launcher's local executor uses it, so that a launch on this machine always runs the
helpers of the same installation as the launcher, whatever ``rhl-*`` is first on ``PATH``.
"""

from __future__ import annotations

import sys

from . import COMMAND_MODULES, entry

if len(sys.argv) < 2 or sys.argv[1] not in COMMAND_MODULES:
    sys.stderr.write("usage: python -m remote_http_launcher.cli HELPER [ARGS...]\n")
    raise SystemExit(2)
name = sys.argv.pop(1)
sys.argv[0] = name
entry(name)
