"""The documents of the ``seamless-service-*`` commands, built from what :mod:`..api` returns.

One builder per schema, shared by ``seamless-service-mcp`` and (for their ``--json``) the
commands, so that both print the same object: each takes the api's result and returns the
document stamped with its schema (:func:`..schemas.stamp`). No SDK, no click; cheap to import.
"""

from __future__ import annotations

import io
import os
import re

from . import stamp

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..api import Outcome
    from ..model import Request
    from ..rows import Report

#: ``logs``: how many lines by default, and the byte cap by default (the CLI's ``--json`` and
#: the MCP tool's defaults).
LOG_TAIL_DEFAULT = 200
LOG_BYTES_DEFAULT = 64 * 1024

#: ``<key>: <status>``, the helpers' per-key lines (rhl-stop, rhl-rm).
_STATUS_LINE = re.compile(r"^(?P<key>[^:\s]+): (?P<status>.+)$")
_CLEARED = re.compile(r"^removed (?P<n>\d+) item\(s\) from (?P<path>.+)$")
_NOTHING = re.compile(r"^nothing to clear: (?P<path>.+) does not exist")


def outcome_fields(outcome: Outcome, keys: list[str] | None = None) -> dict[str, Any]:
    """The fields every action document has: ``keys``, ``lines`` (stdout), ``problems``
    (stderr, without the command's prefix), ``exit_code``."""
    return {
        "keys": list(outcome.keys if keys is None else keys),
        "lines": list(outcome.lines),
        "problems": list(outcome.problems),
        "exit_code": outcome.exit_code,
    }


def ps(view: str, report: Report) -> dict[str, Any]:
    """``seamless-service-ps/1``: the listing, its rows ``seamless-service-ps-row/1``."""
    from ..rows import json_row

    rows = [stamp("seamless-service-ps-row", json_row(row)) for row in report.rows]
    return stamp(
        "seamless-service-ps",
        {"view": view, "rows": rows, "problems": list(report.problems), "exit_code": report.exit_code},
    )


def start(payload: dict[str, Any]) -> dict[str, Any]:
    """``seamless-service-start/1``: the payload of :func:`..api.start`."""
    return stamp("seamless-service-start", payload)


def stop(outcome: Outcome) -> dict[str, Any]:
    """``seamless-service-stop/1``: per key, the status its helper line gave."""
    said: dict[str, str] = {}
    for line in outcome.lines:
        match = _STATUS_LINE.match(line)
        if match and match["key"] in outcome.keys:
            said.setdefault(match["key"], match["status"])
    results = [{"key": key, "status": said.get(key)} for key in outcome.keys]
    return stamp("seamless-service-stop", {**outcome_fields(outcome), "results": results})


def rm(outcome: Outcome, *, client: bool, server: bool, force: bool) -> dict[str, Any]:
    """``seamless-service-rm/1``. :func:`..api.rm` names its keys only in its lines: a
    removed state file's name, or ``<key>: not found``."""
    removed = [line[len("removed ") :] for line in outcome.lines if line.startswith("removed ")]
    keys = list(outcome.keys)
    if not keys:
        named = {os.path.basename(path)[: -len(".json")] for path in removed if path.endswith(".json")}
        named.update(m["key"] for line in outcome.lines if (m := _STATUS_LINE.match(line)))
        keys = sorted(named)
    if not client and not server:
        client = server = True  # as api.rm: neither means both
    return stamp(
        "seamless-service-rm",
        {
            **outcome_fields(outcome, keys),
            "removed": removed,
            "client": client,
            "server": server,
            "force": force,
        },
    )


def clear(outcome: Outcome, *, force: bool) -> dict[str, Any]:
    """``seamless-service-clear/1``: the directory and how many items went (0 and
    ``cleared: false`` when it never existed)."""
    path: str | None = None
    removed: int | None = None
    cleared = False
    for line in outcome.lines:
        if match := _CLEARED.match(line):
            path, removed, cleared = match["path"], int(match["n"]), True
        elif match := _NOTHING.match(line):
            path, removed = match["path"], 0
    return stamp(
        "seamless-service-clear",
        {**outcome_fields(outcome), "path": path, "removed": removed, "cleared": cleared, "force": force},
    )


def restart(outcome: Outcome, payload: dict[str, Any] | None) -> dict[str, Any]:
    """``seamless-service-restart/1``: the stop and removal, and the new payload (or null)."""
    return stamp(
        "seamless-service-restart",
        {**outcome_fields(outcome), "started": start(payload) if payload else None},
    )


def resolve(data: dict[str, Any]) -> dict[str, Any]:
    """``seamless-service-resolve/1``: :func:`..api.resolve_json` with its schema named."""
    return stamp("seamless-service-resolve", data)


def inspect(key: str, host: str | None, state: dict[str, Any]) -> dict[str, Any]:
    """``seamless-service-inspect/1``: the key, its host (``localhost`` for this machine) and
    the server-side state file as ``rhl-inspect`` prints it."""
    return stamp("seamless-service-inspect", {"key": key, "host": host or "localhost", "state": state})


def logs_excerpt(
    key: str, host: str | None, data: bytes, *, tail: int, previous: bool, max_bytes: int
) -> dict[str, Any]:
    """``seamless-service-logs/1``: the end of a log (``data``, already cut to ``tail`` lines),
    cut to ``max_bytes``; when cut it starts on a line (a cut line would read as a different
    message) and ``truncated`` is true."""
    truncated = len(data) > max_bytes
    if truncated:
        data = data[-max_bytes:]
        newline = data.find(b"\n")
        data = data[newline + 1 :] if 0 <= newline < len(data) - 1 else data
    text = data.decode("utf-8", errors="replace")
    return stamp(
        "seamless-service-logs",
        {
            "key": key,
            "host": host or "localhost",
            "previous": previous,
            "tail": tail,
            "max_bytes": max_bytes,
            "text": text,
            "lines": len(text.splitlines()),
            "truncated": truncated,
        },
    )


def read_logs(
    request: Request,
    *,
    tail: int = LOG_TAIL_DEFAULT,
    previous: bool = False,
    max_bytes: int = LOG_BYTES_DEFAULT,
) -> dict[str, Any]:
    """Read the log's last ``tail`` lines (``rhl-logs --tail``, on its host) into
    :func:`logs_excerpt`. Errors are :func:`..api.logs`'s (one-line ``ServiceError`` s)."""
    from .. import api

    resolution = api.resolve(request)
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", write_through=True)
    api.logs(request, tail=tail, previous=previous, stdout=out)
    out.flush()
    return logs_excerpt(
        resolution.key,
        resolution.ssh_target,
        raw.getvalue(),
        tail=tail,
        previous=previous,
        max_bytes=max_bytes,
    )
