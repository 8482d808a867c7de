"""The tools of ``seamless-service-mcp``: plain data and plain functions, no MCP SDK here.

Each tool is one ``seamless-service-*`` command: its input schema is built from the same
declaration the command line is built from (the fields of :class:`~..model.Request` and
their metadata), plus the command's own options declared below; its result is the
command's JSON document, stamped with its schema (:mod:`..schemas`). A tool body runs the
:mod:`..api` function the command runs, so an agent and a person get the same answers and
the same refusals. Everything a tool reports as a failure is a :class:`ToolFailure`: the
lines the command would print on stderr, and the document when there is one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from .. import api
from ..errors import ServiceError, UsageError
from ..model import Request
from ..schemas import documents

#: ``logs``: how many lines by default, and at most; the byte cap, by default and at most.
LOG_TAIL_DEFAULT = documents.LOG_TAIL_DEFAULT
LOG_TAIL_MAX = 10_000
LOG_BYTES_DEFAULT = documents.LOG_BYTES_DEFAULT
LOG_BYTES_MAX = 1024 * 1024
#: The ps states ``status`` may filter on (those of ``seamless-service-ps --status``).
PS_STATES = (
    "running", "starting", "failed", "stale", "untracked", "corrupt", "client", "absent", "unreachable",
)  # fmt: skip
#: What ``clear`` answers when ``confirm`` is not ``true``.
CONFIRM_REFUSAL = (
    "refusing to clear without confirm: true (clearing deletes the cached data of the selected "
    "project and stage; stop the services that use it and read their logs first)"
)
ENV_DEBUG = "SEAMLESS_SERVICES_DEBUG"


class ToolFailure(Exception):
    """A bad argument, a refused action or a failed one: ``lines`` are what the command
    prints on stderr (``seamless-service-X: ...``), ``document`` what it printed as JSON."""

    def __init__(self, lines: list[str], document: dict[str, Any] | None = None) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.document = document


@dataclass(frozen=True)
class Option:
    """A command option that is not a selection flag: its JSON Schema and its flag."""

    name: str
    schema: dict[str, Any]
    flag: str


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    schema: str  # the name of the output schema (schemas.load)
    run: Callable[[Request, dict[str, Any]], dict[str, Any]]
    read_only: bool
    destructive: bool = False
    idempotent: bool = False
    needs_service: bool = False
    options: tuple[Option, ...] = field(default_factory=tuple)

    @property
    def command(self) -> str:
        return f"seamless-service-{self.name}"

    def annotations(self) -> dict[str, Any]:
        """MCP tool annotations (hints): read-only tools say so; stop, rm, clear, restart
        are destructive (they end processes or delete state or data)."""
        hints: dict[str, Any] = {
            "title": self.command,
            "readOnlyHint": self.read_only,
            "openWorldHint": False,
        }
        if not self.read_only:
            hints.update(destructiveHint=self.destructive, idempotentHint=self.idempotent)
        return hints


# -- input schemas ----------------------------------------------------------------------------


def _service_names() -> list[str] | None:
    from ..plugins import service_types

    try:
        return list(service_types().names())
    except ServiceError:
        return None  # a broken plugin: the call reports it; the listing still works


def _selection_property(spec: Any, services: list[str] | None) -> dict[str, Any]:
    meta = spec.metadata
    prop: dict[str, Any] = {"type": "string", "description": meta["help"]}
    if meta["kind"] == "service" and services is not None:
        prop["enum"] = services
    elif meta["kind"] == "choice":
        prop["enum"] = list(meta["choices"])
    return prop


def input_schema(tool: Tool) -> dict[str, Any]:
    """The tool's input: one property per selection flag (``frontend_name`` for
    ``--frontend-name``), then the command's own options; no other property is accepted."""
    services = _service_names()
    properties = {spec.name: _selection_property(spec, services) for spec in fields(Request)}
    properties.update({option.name: option.schema for option in tool.options})
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if tool.needs_service:
        schema["required"] = ["service"]
    if tool.name == "clear":
        schema["required"] = ["service", "confirm"]
    return schema


def _flag(tool: Tool, name: str) -> str:
    for option in tool.options:
        if option.name == name:
            return option.flag
    return "--" + name.replace("_", "-")


def check_arguments(tool: Tool, arguments: dict[str, Any]) -> None:
    """Types, allowed values and unknown names, with the command line's words; a missing
    ``--service`` is left to the command itself (its own message, as on the command line)."""
    import jsonschema  # type: ignore[import-untyped]  # (no stubs in the types session)

    schema = input_schema(tool)
    known = schema["properties"]
    for name in arguments:
        if name not in known:
            raise UsageError(f"no such argument: {name!r} (arguments: {', '.join(known)})")
    schema.pop("required", None)
    for error in jsonschema.Draft202012Validator(schema).iter_errors(arguments):
        name = str(error.path[0]) if error.path else ""
        value = arguments.get(name)
        allowed = known.get(name, {}).get("enum")
        if error.validator == "enum" and allowed:
            raise UsageError(
                f"Invalid value for '{_flag(tool, name)}': {value!r} is not one of "
                + ", ".join(map(str, allowed))
            )
        raise UsageError(f"Invalid value for '{_flag(tool, name)}': {error.message}")


def request_of(arguments: dict[str, Any], default_workdir: str | None) -> Request:
    values = {spec.name: arguments.get(spec.name) for spec in fields(Request)}
    if values["workdir"] is None:
        values["workdir"] = default_workdir
    elif values["workdir"] is not None and os.path.isfile(values["workdir"]):
        raise UsageError(f"Invalid value for '--workdir': Directory {values['workdir']!r} is a file.")
    return Request(**values)


# -- the tools --------------------------------------------------------------------------------


def _checked(command: str, document: dict[str, Any]) -> dict[str, Any]:
    """A non-zero exit code is a failure: the command's stderr lines, and the document."""
    if document["exit_code"]:
        lines = [f"{command}: {problem}" for problem in document["problems"]]
        raise ToolFailure(lines or [f"{command}: failed (exit {document['exit_code']})"], document)
    return document


def run_ps(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    sides = [name for name in ("client", "server", "all_clusters") if args.get(name)]
    if len(sides) > 1:
        raise UsageError("--client, --server and --all-clusters are mutually exclusive")
    view = (
        {"all_clusters": "all"}.get(sides[0], sides[0])
        if sides
        else ("cluster" if request.cluster else "client")
    )
    report = api.ps(request, view=view, status=args.get("status"), persistent=bool(args.get("persistent")))
    return _checked("seamless-service-ps", documents.ps(view, report))


def run_resolve(request: Request, _args: dict[str, Any]) -> dict[str, Any]:
    return documents.resolve(api.resolve_json(request))


def run_inspect(request: Request, _args: dict[str, Any]) -> dict[str, Any]:
    resolution = api.resolve(request)
    return documents.inspect(resolution.key, resolution.ssh_target, api.inspect(request))


def run_logs(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    return documents.read_logs(
        request,
        tail=int(args.get("tail", LOG_TAIL_DEFAULT)),
        previous=bool(args.get("previous")),
        max_bytes=int(args.get("max_bytes", LOG_BYTES_DEFAULT)),
    )


def run_doctor(request: Request, _args: dict[str, Any]) -> dict[str, Any]:
    """The doctor's report as ``seamless-service-doctor --json`` prints it (without
    ``--fix``: this tool only reads). Its verdict is data, not a tool error."""
    from ..doctor.diagnose import diagnose

    report = diagnose(request)
    report.fix_requested = False
    return dict(report.as_json())


def _start_payload(request: Request) -> dict[str, Any]:
    try:
        payload = api.start(request)
    except api.StartFailed as exc:  # the launcher's one line (its progress went to stderr)
        raise ServiceError(exc.message) from None
    return documents.start(payload)


def run_start(request: Request, _args: dict[str, Any]) -> dict[str, Any]:
    return _start_payload(request)


def run_stop(request: Request, _args: dict[str, Any]) -> dict[str, Any]:
    return _checked("seamless-service-stop", documents.stop(api.stop(request)))


def run_rm(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    client, server, force = (bool(args.get(name)) for name in ("client", "server", "force"))
    outcome = api.rm(request, client=client, server=server, force=force)
    return _checked("seamless-service-rm", documents.rm(outcome, client=client, server=server, force=force))


def run_clear(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    if args.get("confirm") is not True:
        raise UsageError(CONFIRM_REFUSAL)
    force = bool(args.get("force"))
    return _checked("seamless-service-clear", documents.clear(api.clear(request, force=force), force=force))


def run_restart(request: Request, _args: dict[str, Any]) -> dict[str, Any]:
    if not request.service:
        raise UsageError("--service is required")
    try:
        outcome, payload = api.restart(request)
    except api.StartFailed as exc:
        raise ServiceError(exc.message) from None
    return _checked("seamless-service-restart", documents.restart(outcome, payload))


_BOOL = {"type": "boolean", "default": False}


def _bool(name: str, flag: str, description: str) -> Option:
    return Option(name, {**_BOOL, "description": description}, flag)


TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        Tool(
            "ps",
            "List Seamless services (seamless-service-ps --json). Without client/server/all_clusters: "
            "this machine's connection files, or with cluster the services on the cluster's hosts "
            "(with persistent data unless status is given). Rows are seamless-service-ps-row/1.",
            "seamless-service-ps",
            run_ps,
            read_only=True,
            options=(
                _bool("client", "--client", "This machine's connection files (no SSH)."),
                _bool("server", "--server", "The state on the cluster's hosts."),
                _bool("all_clusters", "--all-clusters", "The state on the hosts of every known cluster."),
                Option(
                    "status",
                    {
                        "type": "string",
                        "enum": list(PS_STATES),
                        "description": "Only rows whose process is this state.",
                    },
                    "--status",
                ),
                _bool("persistent", "--persistent", "Add persistent data (buffer directories, seamless.db)."),
            ),
        ),
        Tool(
            "resolve",
            "A service's key, SSH host, workdir and log path (seamless-service-resolve). No side effects. "
            "Never build keys or data paths by hand: ask this each time.",
            "seamless-service-resolve",
            run_resolve,
            read_only=True,
            needs_service=True,
        ),
        Tool(
            "logs",
            "The end of a service's server-side log (seamless-service-logs --tail), read on its host. "
            f"Bounded: at most tail lines (default {LOG_TAIL_DEFAULT}) and max_bytes bytes (default "
            f"{LOG_BYTES_DEFAULT}); truncated says the byte cap cut the start. Read it before rm or clear.",
            "seamless-service-logs",
            run_logs,
            read_only=True,
            needs_service=True,
            options=(
                Option(
                    "tail",
                    {
                        "type": "integer",
                        "minimum": 0,
                        "maximum": LOG_TAIL_MAX,
                        "default": LOG_TAIL_DEFAULT,
                        "description": "Only the last N lines.",
                    },
                    "--tail",
                ),
                Option(
                    "max_bytes",
                    {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": LOG_BYTES_MAX,
                        "default": LOG_BYTES_DEFAULT,
                        "description": "At most this many bytes (the end of the tail, from a line start).",
                    },
                    "max_bytes",
                ),
                _bool("previous", "--previous", "The log of the launch before the current one."),
            ),
        ),
        Tool(
            "inspect",
            "A service's server-side state file (seamless-service-inspect): PID, port, status, workdir, "
            "command, exit record and meta.",
            "seamless-service-inspect",
            run_inspect,
            read_only=True,
            needs_service=True,
        ),
        Tool(
            "doctor",
            "Run the remote-debugging checklist first (seamless-service-doctor --json, "
            "seamless-service-doctor/1): configuration, reachability, services, logs, false-pass, "
            "leftovers; stop at the first check whose verdict is problem. Without service: every "
            "service the selection can run. Read-only (no --fix).",
            "seamless-service-doctor",
            run_doctor,
            read_only=True,
        ),
        Tool(
            "start",
            "Start a service, or reuse it when it already runs (seamless-service-start --json): the "
            "connection payload.",
            "seamless-service-start",
            run_start,
            read_only=False,
            idempotent=True,
            needs_service=True,
        ),
        Tool(
            "stop",
            "Stop services (seamless-service-stop): service, or cluster alone for every service of the "
            "cluster (always pass project too). SIGINT, SIGTERM, then SIGKILL; state and logs are kept.",
            "seamless-service-stop",
            run_stop,
            read_only=False,
            destructive=True,
            idempotent=True,
        ),
        Tool(
            "rm",
            "Remove the launcher state of stopped services (seamless-service-rm); logs are kept. "
            "Refused while a service still runs unless force. Read the logs first.",
            "seamless-service-rm",
            run_rm,
            read_only=False,
            destructive=True,
            idempotent=True,
            options=(
                _bool("client", "--client", "Only this machine's connection files."),
                _bool("server", "--server", "Only the server-side state files."),
                _bool("force", "--force", "Remove server state even if its service still runs."),
            ),
        ),
        Tool(
            "clear",
            "Empty a persistent service's data directory for the project and stage (seamless-service-clear): "
            "a cold cache. Needs confirm: true; refused, as on the command line, for services without "
            "persistent data and for data a running service uses (unless force). Ask the user before "
            "clearing data that is not a test project's.",
            "seamless-service-clear",
            run_clear,
            read_only=False,
            destructive=True,
            idempotent=True,
            needs_service=True,
            options=(
                Option(
                    "confirm",
                    {"type": "boolean", "description": "Must be true: clearing deletes cached data."},
                    "confirm",
                ),
                _bool("force", "--force", "Clear even if a running service uses the directory."),
            ),
        ),
        Tool(
            "restart",
            "Restart a service: stop, remove its state on both sides, start it again "
            "(seamless-service-restart). Persistent data is kept: clear between stop and start for a "
            "cold cache.",
            "seamless-service-restart",
            run_restart,
            read_only=False,
            destructive=True,
            needs_service=True,
        ),
    )
}


def call(name: str, arguments: dict[str, Any], default_workdir: str | None = None) -> dict[str, Any]:
    """Run tool ``name``; its document, or :class:`ToolFailure` with the command's stderr
    line(s). Never anything else: an unexpected exception is one ``internal error`` line."""
    tool = TOOLS[name]
    try:
        check_arguments(tool, arguments)
        return tool.run(request_of(arguments, default_workdir), arguments)
    except ToolFailure:
        raise
    except ServiceError as exc:
        raise ToolFailure([f"{tool.command}: {exc.message}"]) from None
    except Exception as exc:  # noqa: BLE001 - one line, like the commands; never kills the server
        if os.environ.get(ENV_DEBUG):
            import traceback

            traceback.print_exc()  # stderr: the host's log of this server, never the wire
        why = f"internal error: {type(exc).__name__}: {exc} (set {ENV_DEBUG}=1 for a traceback)"
        raise ToolFailure([f"{tool.command}: {why}"]) from None
