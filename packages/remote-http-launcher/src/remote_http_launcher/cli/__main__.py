"""``python -m remote_http_launcher.cli HELPER [ARGS...]``: the same as
``python -m remote_http_launcher.commands`` (the launcher's local executor uses this name)."""

from __future__ import annotations

import runpy

runpy.run_module("remote_http_launcher.commands", run_name="__main__", alter_sys=True)
