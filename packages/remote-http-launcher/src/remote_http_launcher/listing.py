"""The rows of ``rhl-ps``: one per state file, with a status that tells the truth.

Computed server status (``status``), from the stored one (``json_status``) and the process:

=================================  ==========================================
stored status                       computed status
=================================  ==========================================
missing / not a string / dry run    ``failed``
``running`` or ``starting``         same if the verified process lives, else ``stale``
``failed``, ``stale``, other        unchanged
file not a JSON object              ``corrupt`` (with ``error``)
documented field of the wrong type  ``corrupt`` (with ``error``)
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

_INT, _NUMBER, _STR, _OBJECT, _BOOL = "an integer", "a number", "a string", "an object", "a boolean"
#: Documented types of the fields rhl-ps copies into its rows (docs/reference/state-files.md).
#: ``null`` is accepted for each (read as "not known"); ``status`` and ``meta`` have their own
#: documented tolerance (a non-string status reads as ``failed``, a non-object meta as ``{}``).
SERVER_FIELD_TYPES = {
    "pid": _INT,
    "pgid": _INT,
    "uid": _INT,
    "pid_start_time": _INT,
    "port": _INT,
    "launched_at": _NUMBER,
    "stopped_at": _NUMBER,
    "workdir": _STR,
    "log": _STR,
    "command": _STR,
    "boot_id": _STR,
    "network_interface": _STR,
    "conda_env": _STR,
    "parameters": _OBJECT,
    "dry_run": _BOOL,
}
CLIENT_FIELD_TYPES = {
    "hostname": _STR,
    "ssh_hostname": _STR,
    "tunneled-host": _STR,
    "tunneled-network-interface": _STR,
    "port": _INT,
    "status": _STR,
    "parameters": _OBJECT,
}
_JSON_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a fractional number",
    bool: "a boolean",
    dict: "an object",
    list: "an array",
}


#: The Python types each documented JSON type accepts (bool is an int in Python, not in JSON).
_PY_TYPES: dict[str, tuple[type, ...]] = {
    _INT: (int,),
    _NUMBER: (int, float),
    _STR: (str,),
    _OBJECT: (dict,),
    _BOOL: (bool,),
}


def field_problems(data: dict[str, Any], *, client: bool = False) -> list[str]:
    """What is wrong with the types of ``data``'s documented fields (empty when all is well).

    Every ``*_port`` / ``*-port`` field must be an integer too. A row with such a field would
    print a value of the wrong type where docs/reference/json.md promises one, so rhl-ps
    shows it as ``corrupt`` instead. Public: the client package checks connection files with it.
    Problems are listed in field-name order. (It runs once per state file of every listing:
    one pass over the fields, sorting only when something is wrong.)
    """
    types = CLIENT_FIELD_TYPES if client else SERVER_FIELD_TYPES
    problems = []
    for name, value in data.items():
        if value is None:
            continue
        wanted = types.get(name)
        if wanted is None:
            if not (name.endswith("_port") or name.endswith("-port")):
                continue
            wanted = _INT
        if type(value) not in _PY_TYPES[wanted]:
            problems.append((name, f"{name!r} must be {wanted}, not {_JSON_NAMES.get(type(value), 'null')}"))
    problems.sort()
    return [text for _name, text in problems]


def _type_error(read: state.StateRead, data: dict[str, Any], client: bool) -> str | None:
    problems = field_problems(data, client=client)
    return f"wrong field types in {read.path}: {'; '.join(problems)}" if problems else None


def server_row(key: str, read: state.StateRead, *, probe: bool = True) -> dict[str, Any]:
    error = read.error if read.corrupt else _type_error(read, read.require(), False)
    if error is not None:
        return {"key": key, "status": "corrupt", "error": error, "live": None, "meta": {}}
    data = read.require()
    row: dict[str, Any] = dict(data)
    row["key"] = key
    stored = data.get("status")
    if stored is not None:
        row["json_status"] = stored
    meta = data.get("meta")
    row["meta"] = meta if isinstance(meta, dict) else {}
    live: bool | None = None
    verdict: process.Liveness | None = None
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
    _add_exit_fields(row, data, read, probe, verdict)  # C1: exit record, leftovers (13.13, 14.4)
    return row


def _add_exit_fields(
    row: dict[str, Any],
    data: dict[str, Any],
    read: state.StateRead,
    probe: bool,
    verdict: process.Liveness | None,
) -> None:
    """``exit``: the recorded exit, an inferred one for a stale row without a record, else
    null. ``leftovers``: PIDs of verified live members of the group of a gone leader
    (:func:`process.leftovers`), ``[]`` when none, null when not probed."""
    from . import exits

    record = exits.recorded(data)
    row["exit"] = record if record is not None else (exits.inferred() if row["status"] == "stale" else None)
    row["leftovers"] = None
    if probe:
        if verdict is None:  # rows not probed for their status (stale, failed): one kill(pid, 0)
            verdict = process.check_state_process(data, read)
        row["leftovers"] = [m.pid for m in process.leftovers(data, verdict)]


def untracked_rows(known: set[str]) -> list[dict[str, Any]]:
    """``untracked`` rows: keys without a state file whose service still holds its service
    lock (:mod:`.servicelock`); ``pid`` is the lock owner's if that process is still it."""
    from . import servicelock

    rows: list[dict[str, Any]] = []
    for key in servicelock.lock_keys():
        if key in known or os.path.exists(paths.state_path(key)):
            continue
        owner = servicelock.probe(key)
        if owner is None:
            continue
        recorded = {**owner, "uid": os.getuid()}
        verdict = process.check_state_process(recorded)
        pid = verdict.pid if verdict.alive else None
        members = [m.pid for m in process.leftovers(recorded, verdict)] if not verdict.alive else []
        workdir = owner.get("workdir") if isinstance(owner.get("workdir"), str) else None
        row = {"key": key, "status": "untracked", "live": verdict.alive, "pid": pid, "workdir": workdir}
        rows.append({**row, "meta": {}, "exit": None, "leftovers": members})
    return rows


def client_row(key: str, read: state.StateRead) -> dict[str, Any]:
    error = read.error if read.corrupt else _type_error(read, read.require(), True)
    if error is not None:
        return {
            "key": key,
            "status": "corrupt",
            "error": error,
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
    keys = state.list_keys(directory)
    try:
        dir_fd: int | None = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        dir_fd = None  # gone since it was listed (then every read says missing) or unreadable
    try:
        for key in keys:
            read = state.read_state(os.path.join(directory, key + ".json"), dir_fd=dir_fd)
            if read.missing:  # removed between listing and reading
                continue
            rows.append(client_row(key, read) if client else server_row(key, read, probe=probe))
    finally:
        if dir_fd is not None:
            os.close(dir_fd)
    if not client and probe and (untracked := untracked_rows({row["key"] for row in rows})):
        rows = sorted(rows + untracked, key=lambda row: row["key"] + ".json")  # file-name order
    return rows
