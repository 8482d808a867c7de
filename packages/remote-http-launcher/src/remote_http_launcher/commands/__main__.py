"""``python -m remote_http_launcher.commands NAME [ARGS...]``: run one command of this installation.

The launcher's local executor uses it (as ``-m remote_http_launcher.cli``), so that a launch on
this machine always runs the helpers of the same installation as the launcher, whatever
``rhl-*`` is first on ``PATH``.
"""

from __future__ import annotations

import sys

from ._table import COMMANDS

if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
    sys.stderr.write("usage: python -m remote_http_launcher.commands COMMAND [ARGS...]\n")
    raise SystemExit(2)
_name = sys.argv.pop(1)
sys.argv[0] = _name
from ._run import main  # noqa: E402

main(_name)
