"""``seamless-service-ps`` rows: their fields, filters and rendering.

Pure functions over plain dicts, with no imports beyond the standard library's cheapest
(every ``seamless-service-ps`` imports this module, so it adds nothing to start-up).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from .dispatch import Call, Outcome

#: Columns of the table, as the seeds show them.
COLUMNS = ("SERVICE", "PROJECT", "STAGE", "PROCESS", "PORT", "PERSISTENT", "SIZE")
WIDE_COLUMNS = (
    "CLUSTER", "SERVICE", "MODE", "PROJECT", "STAGE", "SUBSTAGE",
    "PROCESS", "PORT", "PERSISTENT", "SIZE", "HOST", "KEY",
)  # fmt: skip
#: What ``-l``/``--long`` adds after PROCESS (operators' columns: supervisorctl, pm2, compose).
LONG_COLUMNS = ("PID", "UPTIME", "EXIT")
#: Every value of PROCESS (``--status`` accepts each).
PROCESS_STATES = (
    "running", "starting", "failed", "stale", "untracked", "corrupt", "client", "absent", "unreachable",
)  # fmt: skip
#: The states computed by ``rhl-ps`` itself (the others are the client's: a filter on them
#: is applied here, never sent to the helper).
HELPER_STATES = ("running", "starting", "failed", "stale", "untracked", "corrupt")
#: States whose recorded PID is a live process (PID and UPTIME are shown for these only).
LIVE_STATES = ("running", "starting", "untracked")
IDENTITY_FIELDS = ("service", "cluster", "mode", "project", "subproject", "stage", "substage", "queue")
#: The other fields of every row (``exit``: the server's exit record, or null).
ROW_FIELDS = (
    "process", "port", "persistent", "size", "key", "path", "host", "jobs", "exit", "leftovers",
    "pid", "launched_at", "uptime",
)  # fmt: skip
CACHE_CLUSTER = "__SEAMLESS_CACHE__"
CACHE_PROJECT = "__TOPLEVEL__"
CACHE_ALIAS = "SEAMLESS_CACHE"


class Filters:
    """Only explicit command-line flags filter; ``None`` = no filter."""

    NAMES = ("service", "cluster", "project", "subproject", "stage", "substage", "mode", "status")
    service: str | None
    cluster: str | None
    project: str | None
    subproject: str | None
    stage: str | None
    substage: str | None
    mode: str | None
    status: str | None

    def __init__(self, **values: str | None) -> None:
        for name in self.NAMES:
            setattr(self, name, values.pop(name, None))
        if values:
            raise TypeError(f"unknown filters: {sorted(values)}")

    def keep(self, row: dict[str, Any], *, persistent_row: bool = False) -> bool:
        for name in ("service", "cluster", "subproject", "stage", "substage", "mode"):
            wanted = getattr(self, name)
            if wanted is not None and row.get(name) != wanted:
                return False
        wanted_project = self.project
        if wanted_project is not None:
            if wanted_project == CACHE_ALIAS:
                wanted_project = CACHE_PROJECT
            if row.get("project") != wanted_project:
                return False
        status = self.status
        if status is not None and not persistent_row and row.get("process") != status:
            return False
        return True


class Report:
    """The rows, and what went wrong on the way (one line each, for stderr)."""

    def __init__(self, *, name_hosts: bool = True) -> None:
        #: Prefix a failing call's message with its host (ps lists many hosts; an action's
        #: message already names the host it could not reach).
        self.name_hosts = name_hosts
        self.rows: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.exit_code = 0
        #: Hosts already reported unreachable (their other calls fail the same way: said once).
        self.unreachable: set[str] = set()

    def fail(self, message: str, exit_code: int) -> None:
        self.problems.append(message)
        self.exit_code = max(self.exit_code, exit_code)

    def host_failed(self, where: str, error: Exception) -> bool:
        """Record a call's failure on ``where``; False when that host was already reported."""
        from .errors import HostUnreachable

        if isinstance(error, HostUnreachable):
            if where in self.unreachable:
                return False
            self.unreachable.add(where)
        self.fail(f"{where}: {error}" if self.name_hosts else str(error), getattr(error, "exit_code", 1))
        return True


def add_state_rows(
    report: Report,
    call: Call,
    outcome: Outcome,
    *,
    client: bool,
    identify: Callable[[dict[str, Any]], dict[str, Any]],
    accept: Callable[[dict[str, Any]], bool],
    unreachable_clusters: Sequence[str | None] = (None,),
    anonymous: bool = False,
) -> None:
    """Turn one ``rhl-ps --json`` call's outcome into rows (or problems). Rows that are not
    Seamless services (no identity) are left out unless ``anonymous`` (the client view lists
    every connection file: one written by another launcher, or unreadable, is still there);
    ``accept`` filters the rest. A host that cannot be reached gets one ``unreachable`` row
    per cluster it serves."""
    from .errors import HostUnreachable, ServiceError

    if isinstance(outcome, ServiceError):
        report.host_failed(call.where, outcome)
        if isinstance(outcome, HostUnreachable):  # reached but failing is not "unreachable"
            for cluster in unreachable_clusters:
                report.rows.append(empty_row(cluster=cluster, process="unreachable", host=call.where))
        return
    if outcome.rc != 0:
        report.fail(f"{call.helper} on {call.where}: {outcome.error_line()}", outcome.rc)
        return
    for state_row in outcome.json_rows():
        row = process_row(state_row, identify(state_row), host=call.target, client=client)
        if (anonymous or row.get("service")) and accept(row):
            report.rows.append(row)


def empty_row(**values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(IDENTITY_FIELDS)
    row.update(dict.fromkeys(ROW_FIELDS))
    row.update(values)
    return row


def process_row(
    state_row: dict[str, Any], identity: dict[str, Any], *, host: str | None, client: bool
) -> dict[str, Any]:
    status = state_row.get("status")
    shown_host = host
    if client:
        # A connection file says where a service was, not that it runs (no SSH in this view):
        # 'client', or 'stale' once seamless-service-stop marked it; an unreadable one is
        # 'corrupt'. Its host is the one it names (the helpers for it still run here).
        if status not in ("stale", "corrupt"):
            status = "client" if state_row.get("port") else None
        named = state_row.get("ssh_host") or state_row.get("host")
        shown_host = named if isinstance(named, str) and named else None
    port = state_row.get("port")
    pid = state_row.get("pid")
    launched_at = state_row.get("launched_at")
    if not _is_number(launched_at) or client:
        launched_at = None
    # Why a service is gone (rhl-ps's exit record, remote-http-launcher >= 0.5; null before).
    exit_record = state_row.get("exit")
    row = empty_row(
        **identity,
        process=status,
        exit=exit_record if isinstance(exit_record, dict) else None,
        # Live members of a crashed leader's process group (rhl-ps >= 0.5; null before).
        leftovers=_pids(state_row.get("leftovers")),
        port=port if isinstance(port, int) and not isinstance(port, bool) and port else None,
        # The recorded PID (server state; the lock owner's for an untracked service). The
        # table shows it only while the process lives (LIVE_STATES); JSON always.
        pid=pid if isinstance(pid, int) and not isinstance(pid, bool) and not client else None,
        launched_at=launched_at,
        uptime=_uptime(status, launched_at),
        key=state_row.get("key"),
        host=shown_host or "localhost",
        _target=None if client else host,  # where the helpers for this row run (None: here); never printed
    )
    # Why a state or connection file is unreadable (rhl-ps's own 'error'): an agent reading
    # --json needs the reason as much as the word 'corrupt'. Only on those rows, as in rhl-ps.
    error = state_row.get("error")
    if status == "corrupt" and isinstance(error, str) and error:
        row["error"] = error
    return row


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _uptime(status: Any, launched_at: Any) -> int | None:
    """Whole seconds since ``launched_at`` (the state's epoch seconds) while the service
    runs or starts; null otherwise (a stopped service has no uptime)."""
    if status not in ("running", "starting") or not _is_number(launched_at):
        return None
    import time

    return max(0, int(time.time() - float(launched_at)))


def uptime_cell(seconds: Any) -> str | None:
    """``42s``, ``3m05s``, ``2h07m``, ``3d04h``: the two leading units, as ps/pm2 show them."""
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        return None
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def signal_name(number: Any) -> str:
    """``SIGKILL`` for 9 (the number itself for one this system does not name)."""
    import signal

    try:
        return signal.Signals(number).name
    except (ValueError, TypeError):
        return f"signal {number}"


def exit_cell(row: dict[str, Any]) -> str | None:
    """Why the service is gone, from the exit record (remote-http-launcher >= 0.5):
    ``stopped`` (by us; ``stopped (SIGKILL)`` when it took a kill), ``exited N``,
    ``killed SIGNAME`` (a signal we did not send), ``idle exit`` (its own ``--timeout``),
    ``unknown``; a record guessed after the fact (no supervisor saw the exit) adds
    `` (inferred)``. None while it runs, and for rows without a record."""
    record = row.get("exit")
    if not isinstance(record, dict):
        return None
    reason, code, number = record.get("reason"), record.get("code"), record.get("signal")
    if reason == "stopped":
        text = f"stopped ({signal_name(number)})" if isinstance(number, int) and number != 2 else "stopped"
    elif reason == "exited":
        text = f"exited {code}" if isinstance(code, int) else "exited"
    elif reason == "killed":
        text = f"killed {signal_name(number)}" if isinstance(number, int) else "killed"
    elif reason == "idle":
        text = "idle exit"
    else:
        text = "unknown"
    return f"{text} (inferred)" if record.get("inferred") else text


def _pids(value: Any) -> list[int] | None:
    if not isinstance(value, list):
        return None
    return [pid for pid in value if isinstance(pid, int) and not isinstance(pid, bool)]


def mark_not_applicable(
    rows: list[dict[str, Any]], persistent_types: set[str], known_types: set[str]
) -> None:
    """Services without persistent data show ``n/a``. (Persistent ones keep ``-`` unless a walk
    found their directory: a directory not found by a bounded walk is not proven absent.)"""
    for row in rows:
        service = row.get("service")
        if service in known_types and service not in persistent_types and row.get("persistent") is None:
            row["persistent"] = "n/a"


def display_project(row: dict[str, Any]) -> str | None:
    project = row.get("project")
    if project == CACHE_PROJECT and row.get("cluster") == CACHE_CLUSTER:
        project = CACHE_ALIAS
    if project and row.get("subproject"):
        project = f"{project}/{row['subproject']}"
    return project


def human_size(size: Any) -> str | None:
    """``42 MB`` (decimal units, as the seeds show sizes)."""
    if not isinstance(size, int) or isinstance(size, bool):
        return None
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000
        if value < 1000 or unit == "TB":
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return None  # pragma: no cover


def jobs_cell(jobs: Any) -> str | None:
    """The JOBS cell of a Dask service: ``1 running, 2 pending`` (``, 1 other`` if any)."""
    if not isinstance(jobs, dict):
        return None
    text = f"{jobs.get('running', 0)} running, {jobs.get('pending', 0)} pending"
    return f"{text}, {jobs['other']} other" if jobs.get("other") else text


def long_cells(row: dict[str, Any]) -> list[Any]:
    """The PID, UPTIME and EXIT cells (``-l``): PID only while the process lives."""
    live = row.get("process") in LIVE_STATES
    return [row.get("pid") if live else None, uptime_cell(row.get("uptime")), exit_cell(row)]


def table_cells(row: dict[str, Any], wide: bool) -> list[Any]:
    service = row.get("service")
    stage = row.get("stage")
    size = human_size(row.get("size"))
    if not wide:
        if service and row.get("mode") == "ro":
            service = f"{service}:ro"
        if stage and row.get("substage"):
            stage = f"{stage}:{row['substage']}"
        return [
            service,
            display_project(row),
            stage,
            row.get("process"),
            row.get("port"),
            row.get("persistent"),
            size,
        ]
    return [
        row.get("cluster"), service, row.get("mode"), display_project(row), stage, row.get("substage"),
        row.get("process"), row.get("port"), row.get("persistent"), size, row.get("host"), row.get("key"),
    ]  # fmt: skip


def format_table(
    rows: Sequence[dict[str, Any]],
    *,
    wide: bool = False,
    with_cluster: bool = False,
    long: bool = False,
    colour: bool = False,
) -> str:
    """The table. ``long``: PID, UPTIME, EXIT after PROCESS. ``colour``: the PROCESS cell
    in ANSI colour (green running, yellow starting, red failed/corrupt/unreachable, ...);
    only ever asked for on a terminal, padding is computed on the plain text."""
    headers: list[str] = list(WIDE_COLUMNS if wide else COLUMNS)
    add_cluster = with_cluster and not wide
    if add_cluster:
        headers = ["CLUSTER", *headers]
    # Worker jobs are counted for the Dask services of batch clusters only: the column
    # appears when there is something to show in it.
    add_jobs = any(row.get("jobs") is not None for row in rows)
    jobs_at = headers.index("SIZE") + 1
    if add_jobs:
        headers.insert(jobs_at, "JOBS")
    process_at = headers.index("PROCESS")
    if long:
        headers[process_at + 1 : process_at + 1] = LONG_COLUMNS
    cells: list[list[str]] = [headers]
    for row in rows:
        values = table_cells(row, wide)
        if add_cluster:
            values = [row.get("cluster"), *values]
        if add_jobs:
            values.insert(jobs_at, jobs_cell(row.get("jobs")))
        if long:
            values[process_at + 1 : process_at + 1] = long_cells(row)
        cells.append(["-" if v is None or v == "" else str(v) for v in values])
    widths = [max(len(line[i]) for line in cells) for i in range(len(headers))]
    lines = []
    for number, line in enumerate(cells):
        padded = [c.ljust(w) for c, w in zip(line, widths)]
        if colour and number and line[process_at] in COLOURS:
            padded[process_at] = f"\x1b[{COLOURS[line[process_at]]}m{line[process_at]}\x1b[0m" + " " * (
                widths[process_at] - len(line[process_at])
            )
        lines.append(" ".join(padded).rstrip() + "\n")
    return "".join(lines)


#: ANSI SGR colour of each PROCESS state in a coloured table (``seamless-service-ps`` on a
#: terminal, unless ``NO_COLOR`` is set).
COLOURS = {
    "running": "32",
    "starting": "33",
    "failed": "31",
    "corrupt": "31",
    "unreachable": "31",
    "untracked": "35",
    "stale": "2",
}


def json_row(row: dict[str, Any]) -> dict[str, Any]:
    """The ``--json`` object: seamless-config 0.3.2's fields, plus the identity it lacked,
    named by its schema (``seamless-service-ps-row/1``)."""
    from .schemas import stamp

    data = {name: value for name, value in row.items() if not name.startswith("_")}
    data["project"] = display_project({**row, "subproject": None})
    return stamp("seamless-service-ps-row", data)
