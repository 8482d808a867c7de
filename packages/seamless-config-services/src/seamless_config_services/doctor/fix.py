"""``--fix``: the safe, reversible cleanups, and nothing else.

Only what the launcher re-creates by itself at the next start is touched: stale connection
files of this machine and the launcher's own tunnels (and their records). Each cleanup
re-reads the file it is based on first and does nothing if it changed since the diagnosis
(a service relaunched meanwhile owns a fresh file and a fresh tunnel). A tunnel monitor is
signalled only through :func:`remote_http_launcher.launch.tunnel.stop`, which checks that the
recorded PID is still the process the launcher started. Persistent data, server state and
running services are never touched.
"""

from __future__ import annotations

from remote_http_launcher import paths, state

from .. import dispatch
from .model import Fix, Report

#: Tunnels first: a tunnel's record refers to the connection file, not the other way round.
ORDER = ("end-tunnel", "remove-tunnel-record", "remove-client-file")


def planned(report: Report) -> list[Fix]:
    """The cleanups ``--fix`` would do, in the order it does them."""
    return sorted(report.fixes, key=lambda fix: ORDER.index(fix.action))


def apply(fixes: list[Fix]) -> None:
    """Do each cleanup; its ``done`` / ``error`` say what happened."""
    for fix in fixes:
        try:
            _apply(fix)
        except OSError as exc:
            fix.done, fix.error = False, f"{exc.strerror or exc}"


def _unchanged(fix: Fix) -> bool:
    assert fix.path is not None
    current = state.read_state(fix.path).data
    if current != fix.expected:
        fix.done, fix.error = False, f"{fix.path} changed since the diagnosis: left alone"
        return False
    return True


def _apply(fix: Fix) -> None:
    if fix.action in ("end-tunnel", "remove-tunnel-record"):
        from remote_http_launcher.launch import tunnel

        if not _unchanged(fix):
            return
        # stop() signals only a monitor that is still the recorded process, then drops the record.
        tunnel.stop(paths.client_dir(), fix.key)
        fix.done = not _exists(tunnel.record_path(paths.client_dir(), fix.key))
        if not fix.done:
            fix.error = "the tunnel record is still there"
        return
    if fix.action == "remove-client-file":
        if not _unchanged(fix):
            return
        result = dispatch.run(dispatch.Call(None, "rhl-rm", ("--client", fix.key)))
        fix.done = result.rc == 0
        fix.error = None if fix.done else result.error_line()
        return
    fix.done, fix.error = False, f"unknown cleanup {fix.action!r}"  # pragma: no cover


def _exists(path: str) -> bool:
    import os

    return os.path.lexists(path)
