"""The rows of ``rhl-ps``: one per state file, with a status that tells the truth.

Computed server status (``status``), from the stored one (``json_status``) and the process:

=================================  ==========================================
stored status                       computed status
=================================  ==========================================
missing / not a string / dry run    ``failed``
``running`` or ``starting``         same if the verified process lives, else ``stale``
``failed``, ``stale``, other        unchanged
file not a JSON object              ``corrupt`` (with ``error``)
=================================  ==========================================

A ``starting`` or ``running`` row whose process is gone, was replaced by an unrelated
process with the same PID, or has no PID at all is ``stale``. ``live`` is true/false when a
process was probed, null otherwise. The row format is documented in docs/reference/json.md.
"""

from __future__ import annotations

import os

from . import paths, process, state

TYPE_CHECKING = False  # typing costs milliseconds at start-up; mypy still reads this block
if TYPE_CHECKING:
    from typing import Any

LIVE_STATUSES = ("running", "starting")


def server_row(key: str, read: state.StateRead, *, probe: bool = True) -> dict[str, Any]:
    if read.corrupt:
        return {"key": key, "status": "corrupt", "error": read.error, "live": None, "meta": {}}
    data = read.require()
    row: dict[str, Any] = dict(data)
    row["key"] = key
    stored = data.get("status")
    if stored is not None:
        row["json_status"] = stored
    meta = data.get("meta")
    row["meta"] = meta if isinstance(meta, dict) else {}
    live: bool | None = None
    if not isinstance(stored, str) or not stored or data.get("dry_run"):
        status = stored if isinstance(stored, str) and stored else "failed"
        if data.get("dry_run"):
            status = "failed"
    elif stored in LIVE_STATUSES:
        if not probe:
            status = stored
        else:
            verdict = process.check_state_process(data, read)
            if verdict.verdict in (process.ALIVE, process.FOREIGN):
                status, live = stored, True
            elif verdict.verdict == process.NO_PID and stored == "starting" and "pid" not in data:
                status = "starting"  # written by a launcher that has not recorded the PID yet
            else:
                status, live = "stale", False
                if verdict.verdict == process.NO_PID:
                    live = None
                row["stale_reason"] = verdict.detail
    else:
        status = stored
    row["status"] = status
    row["live"] = live
    return row


def client_row(key: str, read: state.StateRead) -> dict[str, Any]:
    if read.corrupt:
        return {
            "key": key,
            "status": "corrupt",
            "error": read.error,
            "meta": {},
            "host": None,
            "ssh_host": None,
            "port": None,
        }
    data = read.require()
    row: dict[str, Any] = dict(data)
    row["key"] = key
    row["host"] = data.get("hostname")
    row["ssh_host"] = data.get("tunneled-host") or data.get("ssh_hostname") or data.get("hostname")
    row["port"] = data.get("port")
    meta = data.get("meta")
    row["meta"] = meta if isinstance(meta, dict) else {}
    return row


def list_rows(*, client: bool = False, probe: bool = True) -> list[dict[str, Any]]:
    directory = paths.side_dir(client)
    rows = []
    for key in state.list_keys(directory):
        read = state.read_state(os.path.join(directory, key + ".json"))
        if read.missing:  # removed between listing and reading
            continue
        rows.append(client_row(key, read) if client else server_row(key, read, probe=probe))
    return rows
