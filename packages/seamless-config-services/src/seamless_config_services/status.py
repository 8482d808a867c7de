"""``seamless-service-ps``: what runs and what data is kept, as plain rows.

Rows come from two sources: the ``rhl-ps`` state rows of the hosts (or the client's
connection files), and the persistent-data walks (``rhl-ps-persistent``) of the service
types that keep data. A row's identity is the service's own identity (its ``meta``, or its
key for state written without one), so distinct services are never merged: ``ro`` and
``rw`` instances, subprojects and substages each keep their row. Persistent data is joined
to every process row whose workdir it is; data without a process becomes a row of its own
(PROCESS ``absent``). All calls to one host share one SSH connection and run side by side.
"""

from __future__ import annotations

from . import dispatch
from .dispatch import Call
from .errors import ServiceError
from .model import record
from .rows import IDENTITY_FIELDS, Filters, Report, add_state_rows, empty_row
from .rows import process_row as _process_row

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any

    from .model import Configuration


def identity_fields(state_row: dict[str, Any], known_clusters: Iterable[str]) -> dict[str, Any]:
    from .identity import identify

    found = identify(state_row, list(known_clusters))
    if found is None:
        return {}
    return {name: getattr(found, name) for name in IDENTITY_FIELDS}


def process_row(
    state_row: dict[str, Any], *, host: str | None, client: bool, known: Iterable[str]
) -> dict[str, Any]:
    return _process_row(state_row, identity_fields(state_row, known), host=host, client=client)


# -- persistent walks -------------------------------------------------------------------------


@record(frozen=True)
class Walk:
    """One persistent walk of one service type's root on one host."""

    service: str
    cluster: str
    target: str | None
    root: str
    level: int
    file: str | None
    marker: str | None
    #: When the walk is of one known workdir, the identity of its service (client view).
    identity: dict[str, Any] | None = None

    def call(self, with_size: bool = True) -> Call:
        args = ["--json", "--level", str(self.level)]
        if self.file:
            args += ["--file", self.file]
        if self.marker:
            args += ["--marker", self.marker]
        if with_size:
            args.append("--size")
        root = self.root
        if self.target is None:
            import os

            root = os.path.expanduser(root)
        return Call(self.target, "rhl-ps-persistent", (*args, root))


def cluster_walks(configuration: Configuration, cluster_name: str, service: str | None) -> list[Walk]:
    """The walks of every persistent service type on every frontend of a cluster."""
    from .hosts import frontend_target, selected_frontends
    from .plugins import service_types

    walks: list[Walk] = []
    seen: set[tuple[str | None, str, str]] = set()
    for frontend in selected_frontends(configuration, cluster_name):
        target = frontend_target(configuration, cluster_name, frontend)
        for service_type in service_types().by_name.values():
            if service is not None and service_type.name != service:
                continue
            for spec in service_type.persistent_walks(frontend):
                if (target, service_type.name, spec.root) in seen:
                    continue
                seen.add((target, service_type.name, spec.root))
                walks.append(
                    Walk(
                        service_type.name, cluster_name, target, spec.root, spec.level, spec.file, spec.marker
                    )
                )
    return walks


def relative_parts(path: str, root: str) -> list[str] | None:
    """``path`` below ``root`` as components; a ``~`` root is matched by its components."""
    import os

    parts = [p for p in os.path.normpath(path).split("/") if p]
    root_parts = [p for p in os.path.normpath(root).split("/") if p]
    if root_parts and root_parts[0] == "~":
        root_parts = root_parts[1:]
        for start in range(len(parts) - len(root_parts), -1, -1):
            if parts[start : start + len(root_parts)] == root_parts:
                return parts[start + len(root_parts) :]
        return None
    if parts[: len(root_parts)] == root_parts:
        return parts[len(root_parts) :]
    return None


def persistent_identity(walk: Walk, path: str) -> dict[str, Any]:
    """service/cluster/project/subproject/stage of a data directory, from its place under the root."""
    if walk.identity is not None:
        return dict(walk.identity)
    identity: dict[str, Any] = {"service": walk.service, "cluster": walk.cluster}
    parts = relative_parts(path, walk.root)
    if not parts:
        return identity
    stage_at = next((i for i, p in enumerate(parts) if p.startswith("STAGE-")), len(parts))
    before = parts[:stage_at]
    if before:
        identity["project"] = before[0]
        identity["subproject"] = "/".join(before[1:]) or None
    if stage_at < len(parts):
        identity["stage"] = parts[stage_at][len("STAGE-") :]
    return identity


def _join_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (
        row.get("service"),
        row.get("cluster"),
        row.get("project"),
        row.get("subproject"),
        row.get("stage"),
    )


def merge_persistent(report: Report, walk_rows: list[tuple[Walk, dict[str, Any]]], filters: Filters) -> None:
    """Attach walk results to the process rows they belong to; the rest become own rows."""
    by_identity: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in report.rows:
        by_identity.setdefault(_join_key(row), []).append(row)
    seen: set[tuple[str, str]] = set()
    for walk, data in walk_rows:
        if (walk.service, str(data.get("path"))) in seen:
            continue
        seen.add((walk.service, str(data.get("path"))))
        identity = persistent_identity(walk, str(data.get("path")))
        fields = {"persistent": data.get("state"), "size": data.get("size"), "path": data.get("path")}
        matches = by_identity.get(_join_key(empty_row(**identity)), [])
        if matches:
            for row in matches:
                if row.get("persistent") is None:
                    row.update(fields)
            continue
        row = empty_row(**identity, process="absent", host=walk.target or "localhost", **fields)
        if filters.keep(row, persistent_row=True):
            report.rows.append(row)
            by_identity.setdefault(_join_key(row), []).append(row)


# -- gathering --------------------------------------------------------------------------------


def run_walks(walks: Sequence[Walk], report: Report) -> list[tuple[Walk, dict[str, Any]]]:
    calls = [w.call() for w in walks]
    outcomes = dispatch.run_many(calls)
    retry = [i for i, o in enumerate(outcomes) if dispatch.lacks_size_option(o)]
    if retry:
        again = dispatch.run_many([walks[i].call(with_size=False) for i in retry])
        for i, outcome in zip(retry, again):
            outcomes[i] = outcome
    found: list[tuple[Walk, dict[str, Any]]] = []
    for walk, outcome in zip(walks, outcomes):
        if isinstance(outcome, ServiceError):
            report.host_failed(walk.target or "localhost", outcome)
            continue
        if outcome.rc != 0:
            report.fail(f"persistent {walk.service}: {outcome.error_line()}", outcome.rc)
            continue
        found.extend((walk, data) for data in outcome.json_rows())
    return found


def state_calls(targets: Sequence[str | None], status: str | None) -> list[Call]:
    args = ("--json", "--status", status) if status else ("--json",)
    return [Call(target, "rhl-ps", args) for target in targets]


def client_call() -> Call:
    """This machine's connection files (``rhl-ps --client``: no SSH, no server state)."""
    return Call(None, "rhl-ps", ("--client", "--json"))


def keep_status(rows: list[dict[str, Any]], status: str | None) -> list[dict[str, Any]]:
    """The rows whose PROCESS is ``status`` (all rows when None). Applied after persistent
    data has been joined, so a filter only ever drops rows: a running service's data is
    never shown as a row of its own (PROCESS ``absent``) because its process row was
    filtered out first. A host that could not be asked keeps its ``unreachable`` row."""
    if status is None:
        return rows
    return [row for row in rows if row.get("process") in (status, "unreachable")]


def gather_state(
    report: Report,
    calls: Sequence[Call],
    *,
    client: bool,
    accept: Callable[[Call, dict[str, Any]], bool],
    known: Iterable[str],
    clusters_of: Callable[[Call], Sequence[str | None]] = lambda _call: (None,),
    anonymous: bool = False,
) -> None:
    """Run the ``rhl-ps`` calls (side by side, one SSH master per host) and add the rows that
    ``accept(call, row)`` keeps (``anonymous``: rows without a Seamless identity too)."""
    known = list(known)
    for call, outcome in zip(calls, dispatch.run_many(calls)):
        add_state_rows(
            report,
            call,
            outcome,
            client=client,
            identify=lambda state_row: identity_fields(state_row, known),
            accept=lambda row, call=call: accept(call, row),  # type: ignore[misc]
            unreachable_clusters=clusters_of(call),
            anonymous=anonymous,
        )
