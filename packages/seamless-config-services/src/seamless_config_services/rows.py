"""``seamless-service-ps`` rows: their fields, filters and rendering.

Pure functions over plain dicts, with no imports beyond the standard library's cheapest:
the fast path of the commands (:mod:`.fast`) renders rows with this very code, so a table
printed in 40 ms is the same table the full path prints.
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
IDENTITY_FIELDS = ("service", "cluster", "mode", "project", "subproject", "stage", "substage", "queue")
#: The other fields of every row (``exit``: the server's exit record, or null).
ROW_FIELDS = ("process", "port", "persistent", "size", "key", "path", "host", "jobs", "exit")
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


def meta_identity(state_row: dict[str, Any]) -> dict[str, Any] | None:
    """Identity from the row's ``meta`` block, or None when it has no service name."""
    meta = state_row.get("meta")
    if not isinstance(meta, dict) or not isinstance(meta.get("service"), str) or not meta["service"]:
        return None
    return {name: (meta.get(name) if isinstance(meta.get(name), str) else None) for name in IDENTITY_FIELDS}


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
    # Why a service is gone (rhl-ps's exit record, remote-http-launcher >= 0.5; null before).
    exit_record = state_row.get("exit")
    return empty_row(
        **identity,
        process=status,
        exit=exit_record if isinstance(exit_record, dict) else None,
        port=port if isinstance(port, int) and not isinstance(port, bool) and port else None,
        key=state_row.get("key"),
        host=shown_host or "localhost",
        _target=None if client else host,  # where the helpers for this row run (None: here); never printed
    )


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


def format_table(rows: Sequence[dict[str, Any]], *, wide: bool = False, with_cluster: bool = False) -> str:
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
    cells: list[list[str]] = [headers]
    for row in rows:
        values = table_cells(row, wide)
        if add_cluster:
            values = [row.get("cluster"), *values]
        if add_jobs:
            values.insert(jobs_at, jobs_cell(row.get("jobs")))
        cells.append(["-" if v is None or v == "" else str(v) for v in values])
    widths = [max(len(line[i]) for line in cells) for i in range(len(headers))]
    return "".join(" ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() + "\n" for line in cells)


def json_row(row: dict[str, Any]) -> dict[str, Any]:
    """The ``--json`` object: seamless-config 0.3.2's fields, plus the identity it lacked."""
    data = {name: value for name, value in row.items() if not name.startswith("_")}
    data["project"] = display_project({**row, "subproject": None})
    return data
