"""This machine's side of a service: its connection file and its SSH tunnel.

After a stop, the connection file is kept but marked ``stale`` (so the launcher re-checks
the server at the next launch instead of trusting a dead port) and the tunnel that the
launcher opened for the service is closed: a tunnel to a stopped service only answers
with connection errors, and it holds a local port.
"""

from __future__ import annotations

from remote_http_launcher import paths, state
from remote_http_launcher.errors import RhlError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .model import Configuration, Request


def mark_stale(key: str) -> str | None:
    """Mark ``key``'s connection file stale and close its tunnel; a problem line or None."""
    close_tunnel(key)

    def change(data: dict[str, Any]) -> dict[str, Any] | None:
        if data.get("status") == "stale":
            return None
        return {**data, "status": "stale"}

    try:
        state.update_state(key, change, client=True)
    except (OSError, RhlError) as exc:  # a corrupt file must not make the stop fail
        return f"could not mark {paths.state_path(key, client=True)} stale: {exc}"
    return None


def close_tunnel(key: str) -> bool:
    """End the tunnel monitor the launcher started for ``key`` (only if it is still ours)."""
    from remote_http_launcher.launch import tunnel

    return tunnel.stop(paths.client_dir(), key)


def client_keys(request: Request, configuration: Configuration) -> list[str]:
    """Keys of this machine's connection files that the request selects."""
    from . import resolve, status
    from .dispatch import Call
    from .errors import HelperFailed
    from .rows import Report

    if request.service:
        return [resolve.resolve(configuration, request.service).key]
    filters = request.filters()
    keys: list[str] = []

    def take(_call: Call, row: dict[str, Any]) -> bool:
        if row.get("cluster") == request.cluster and filters.keep(row):
            keys.append(str(row["key"]))
        return False  # keys are collected here, not as rows

    report = Report()
    calls = [Call(None, "rhl-ps", ("--client", "--json"))]
    status.gather_state(report, calls, client=True, accept=take, known=list(configuration.clusters.clusters))
    if report.exit_code:
        raise HelperFailed(report.problems[0], report.exit_code)
    return keys
