"""The command table of the ``seamless-service-*`` commands: each declared once, as plain data.

The same classes as remote-http-launcher's helpers (:class:`remote_http_launcher.commands.
Command`, ``Option``), the same strict parser and the same help renderer
(``commands.parse_entry``, ``commands.render_help``): one entry per command holds its help
text, its options, its usage exit code and its body (``"module:function"`` in this package,
imported only when the command runs). The help is what click printed when these were click
commands, byte for byte (docs/reference pages hold it; tests/test_docs.py compares), and click
built from this table (:mod:`._click`) renders the same text (tests/services/
test_client_commands_table.py).

The selection flags (``--service``, ``--cluster``, ...) are not written here: they are the
fields of :class:`~..model.Request`, in field order, and their metadata (help, value kind,
metavar, choices, completion) is the one declaration (:func:`selection_options`).
"""

from __future__ import annotations

from remote_http_launcher.commands import Command, Option

from .. import schemas
from ..rows import PROCESS_STATES
from . import COMMANDS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..model import Attribute

#: The help of every ``--json`` flag that prints one document.
JSON_HELP = "Print one JSON document (schema {schema}) instead of the text."

#: What a usage error exits with: click's 2, except for the doctor, whose 2 means "problems
#: found" (its usage errors exit ``doctor.model.EXIT_USAGE``, 64).
USAGE_EXIT = 2


def cleandoc(text: str) -> str:
    """:func:`inspect.cleandoc` (what click applied to a command's docstring) without
    importing :mod:`inspect`: tabs expanded, the first line's leading blanks and the other
    lines' common indentation removed, blank lines at both ends dropped."""
    lines = text.expandtabs().split("\n")
    margin = min((len(line) - len(line.lstrip()) for line in lines[1:] if line.lstrip()), default=0)
    cleaned = [lines[0].lstrip()] + [line[margin:] for line in lines[1:]]
    while cleaned and not cleaned[0]:
        cleaned.pop(0)
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    return "\n".join(cleaned)


def selection_option(spec: Attribute) -> Option:
    """The table option of one :class:`~..model.Request` field (``frontend_name`` ->
    ``--frontend-name``). A ``service`` or ``directory`` value is checked after parsing, as
    click's types did (:func:`._run.selection_ok`); a ``choice`` by the parser."""
    meta = spec.metadata
    flag = "--" + spec.name.replace("_", "-")
    if meta["kind"] == "choice":
        return Option(
            (flag,), spec.name, "value", check=("choice", tuple(meta["choices"])), help=meta["help"]
        )
    metavar = "SERVICE" if meta["kind"] == "service" else meta["metavar"]
    return Option((flag,), spec.name, "value", metavar=metavar, help=meta["help"])


def selection_options() -> tuple[Option, ...]:
    """--service, --cluster, --project, ...: one option per field of :class:`~..model.Request`,
    in field order (the one declaration of these flags)."""
    from ..model import Request, fields

    return tuple(selection_option(spec) for spec in fields(Request))


def flag(flags: tuple[str, ...] | str, dest: str, help: str) -> Option:
    return Option((flags,) if isinstance(flags, str) else flags, dest, "flag", help=help)


def json_option(schema: str, help: str | None = None) -> Option:
    """``--json`` (value ``as_json``): the command prints its document of ``schema``."""
    return flag("--json", "as_json", (help or JSON_HELP).format(schema=schemas.schema_id(schema)))


def json_schema_option(schema: str) -> Option:
    """``--json-schema``: print the JSON Schema of what ``--json`` prints and exit 0, before
    anything else is read (eager, like ``--version``)."""
    return flag(
        "--json-schema",
        "json_schema",
        f"Print the JSON Schema of --json's output ({schemas.schema_id(schema)}) and exit.",
    )


#: Command name -> the schema ``--json-schema`` prints (ps prints rows: its row schema).
JSON_SCHEMAS = {
    "seamless-service-ps": "seamless-service-ps-row",
    "seamless-service-stop": "seamless-service-stop",
    "seamless-service-rm": "seamless-service-rm",
    "seamless-service-logs": "seamless-service-logs",
    "seamless-service-inspect": "seamless-service-inspect",
    "seamless-service-clear": "seamless-service-clear",
    "seamless-service-resolve": "seamless-service-resolve",
    "seamless-service-start": "seamless-service-start",
    "seamless-service-restart": "seamless-service-restart",
    "seamless-service-doctor": "seamless-service-doctor",
}


def _command(
    name: str, help: str, options: tuple[Option, ...], *, usage_exit_code: int = USAGE_EXIT
) -> Command:
    return Command(
        name,
        help=cleandoc(help),
        options=(*selection_options(), *options),
        usage_exit_code=usage_exit_code,
        body=f"{__package__}.{COMMANDS[name]}:run",
    )


def _ps() -> Command:
    return _command(
        "seamless-service-ps",
        """List Seamless services.

        Without flags: this machine's connection files. With --cluster (or --server): the services
        on the cluster's hosts, one SSH connection per host, with persistent data unless --status
        is given. Rows of distinct services are never merged (ro/rw, subprojects, substages). A
        host that cannot be reached shows PROCESS 'unreachable'; the other rows are still shown
        and the exit code is 255. PROCESS: running | starting | failed | stale | untracked |
        corrupt | client | absent | unreachable. PERSISTENT: populated | empty | absent | n/a.
        Dask services on a batch cluster (SLURM, OAR) add a JOBS column: their worker jobs on the
        scheduler, running and pending. -l adds PID (while the process lives), UPTIME and EXIT
        (why it is gone: stopped | exited N | killed SIGNAL | idle exit | unknown; '(inferred)'
        when no supervisor saw the exit). --watch redraws the table when it changes (Ctrl-C ends
        it); --watch --json prints one seamless-service-ps/1 document per line instead. Colours
        only on a terminal, never with NO_COLOR set.

        Exit codes: 0 every host answered; 1 a configuration error, a broken cluster or a helper
        failure; 2 usage error; 255 a host unreachable (the other rows are printed); 70 internal
        error.
        """,
        (
            flag(
                "--client", "client", "This machine's connection files (default without --cluster; no SSH)."
            ),
            flag(
                "--server", "server", "The state on the cluster's hosts (default cluster: from the profile)."
            ),
            flag("--all-clusters", "all_clusters", "The state on the hosts of every known cluster."),
            Option(
                ("--status",),
                "status",
                "value",
                check=("choice", PROCESS_STATES),
                help="Only rows whose PROCESS is this state.",
            ),
            flag("--persistent", "persistent", "Add persistent data (buffer directories, seamless.db)."),
            json_option("seamless-service-ps-row", help="One JSON object per row (NDJSON, schema {schema})."),
            json_schema_option("seamless-service-ps-row"),
            flag("--wide", "wide", "Add CLUSTER, MODE, SUBSTAGE, HOST and KEY columns."),
            flag(("-l", "--long"), "long", "Add PID, UPTIME and EXIT columns after PROCESS."),
            flag(("-q", "--quiet"), "quiet", "Print only the keys, one per line."),
            flag("--watch", "watch", "Redraw the table whenever it changes, until Ctrl-C."),
        ),
    )


def _stop() -> Command:
    return _command(
        "seamless-service-stop",
        """Stop Seamless services.

        With --service: that service (cluster, project, stage from the flags or the command files).
        With --cluster alone: every service of the cluster on all its frontends (narrowed by explicit
        --project/--stage/--subproject/--substage/--mode). Each service gets SIGINT, then SIGTERM, then
        SIGKILL; its server state is kept and marked stale so the log stays readable. This machine's
        connection file is marked stale and its SSH tunnel closed. One line per service:
        '<key>: stopped | already gone | kill required | missing state | ...'. For a Dask service on a
        batch cluster, worker jobs still connected to its scheduler afterwards (left by a crash) are
        cancelled: '<key>: cancelled N worker jobs (ids)'. With --json: one document instead, holding
        those lines and each key's status; problems still go to stderr.

        Exit codes: 0 every service stopped, already gone or without state; 1 a key could not be
        stopped, or a configuration error; 2 usage error; 255 a host unreachable; 70 internal error.
        """,
        (json_option("seamless-service-stop"), json_schema_option("seamless-service-stop")),
    )


def _rm() -> Command:
    return _command(
        "seamless-service-rm",
        """Remove Seamless service launcher state.

        With --service: that service's state files; with --cluster alone: those of every service of
        the cluster. Without --client or --server both sides are removed. Logs are kept. State of a
        service that still runs is refused (stop it first, or --force). Prints 'removed <path>' per
        file and '<key>: not found' when there was nothing to remove. The worker jobs of a Dask
        service on a batch cluster are cancelled first: '<key>: cancelled N worker jobs (ids)'. With
        --json: one document instead, holding those lines and the paths removed; problems still go
        to stderr.

        Exit codes: 0 removed, or nothing to remove; 1 a running service's state refused, or a
        configuration error; 2 usage error; 255 a host unreachable; 70 internal error.
        """,
        (
            flag("--client", "client", "Only this machine's connection files."),
            flag("--server", "server", "Only the server-side state files."),
            flag("--force", "force", "Remove server state even if its service still runs."),
            json_option("seamless-service-rm"),
            json_schema_option("seamless-service-rm"),
        ),
    )


def _logs() -> Command:
    return _command(
        "seamless-service-logs",
        """Print Seamless service logs.

        The server-side log of --service, read on the host where it runs. The log path follows from
        the service's key, so it stays readable after seamless-service-rm. With --json: one document
        holding the log's end as text, bounded by --tail (default 200 lines) and 64 KiB (cut at a line
        start, 'truncated': true); --json with --follow is a usage error.

        Exit codes: 0 printed (also when Ctrl-C ends --follow of a local log); 1 no log file, or a
        configuration error; 2 usage error; 130 Ctrl-C ended --follow over SSH; 255 the host
        unreachable; 70 internal error.
        """,
        (
            Option(
                ("--tail",),
                "tail",
                "value",
                check=("int", 0, None),
                metavar="N",
                help="Only the last N lines.",
            ),
            flag(("-f", "--follow"), "follow", "Keep printing lines as they are appended (Ctrl-C to stop)."),
            flag("--previous", "previous", "The log of the launch before the current one."),
            json_option(
                "seamless-service-logs",
                help="Print one bounded JSON document (schema {schema}): the last --tail lines (default "
                "200), at most 64 KiB.",
            ),
            json_schema_option("seamless-service-logs"),
        ),
    )


def _inspect() -> Command:
    return _command(
        "seamless-service-inspect",
        """Inspect Seamless service launcher state.

        Prints the server-side state JSON of --service (2-space indent, sorted keys): PID, port,
        status, workdir, command, and the meta block (service, cluster, mode, project, subproject,
        stage, substage, queue). That is the state file itself, as rhl-inspect prints it (and
        seamless-config 0.3.2 did); --json wraps it in a versioned document with the key and host.

        Exit codes: 0 printed; 1 no or corrupt state file, or a configuration error; 2 usage error;
        255 the host unreachable; 70 internal error.
        """,
        (
            json_option(
                "seamless-service-inspect",
                help="Print one JSON line (schema {schema}): key, host and the state.",
            ),
            json_schema_option("seamless-service-inspect"),
        ),
    )


def _clear() -> Command:
    return _command(
        "seamless-service-clear",
        """Clear persistent Seamless service state.

        Empties the data directory of --service (hashserver: its buffers; database: seamless.db)
        for the project, subproject and stage, on the host where it lives. Only that instance's own
        data goes: the other stages' (STAGE-*) and subprojects' directories inside it, and marker
        files such as .HASHSERVER_PREFIX, are kept. A stage that never ran has nothing to clear
        (exit 0). Services without persistent data (jobserver, daskserver, pure-daskserver) are
        refused, and so is data a running service uses, unless --force. Prints 'removed N item(s)
        from <path>'. With --json: one document instead (the path, the count, the lines); problems
        still go to stderr.

        Exit codes: 0 cleared, or nothing to clear; 1 in use by a running service, path refused, or a
        configuration error; 2 usage error (also: a service without persistent data); 255 the host
        unreachable; 70 internal error.
        """,
        (
            flag("--force", "force", "Clear even if a running service uses the directory."),
            json_option("seamless-service-clear"),
            json_schema_option("seamless-service-clear"),
        ),
    )


def _resolve() -> Command:
    return _command(
        "seamless-service-resolve",
        """Resolve Seamless service identity and launcher paths.

        Prints one JSON object (sorted keys): key, ssh_hostname (null when the service runs on this
        machine), workdir, log_path and the meta fields; with --json also its 'schema' field, which
        seamless-config 0.3.2's line did not have. It reads
        seamless.yaml and seamless.profile.yaml (of the current directory, or --workdir) and the
        cluster files, as every command does. No side effects: no SSH, no file written. The
        output reflects what this installation computes; keys, workdirs and host selection may
        change between versions, so call the tool each time (or pin a version) rather than caching
        its answer.

        Exit codes: 0 resolved; 1 a configuration or resolution error; 2 usage error; 70 internal
        error.
        """,
        (
            json_option(
                "seamless-service-resolve", help="The same JSON line with its schema named ({schema})."
            ),
            json_schema_option("seamless-service-resolve"),
        ),
    )


def _start() -> Command:
    return _command(
        "seamless-service-start",
        """Start a Seamless service (or reuse it when it already runs).

        Launches --service for the project and stage through remote-http-launcher, exactly as a
        Seamless workflow would: over SSH on the cluster's frontend (with a tunnel when the cluster
        asks for one), or here for the local cluster. Prints '<key>: running at HOST:PORT
        (launched)', or '(reused)' when it already ran. Without --service, --project and/or
        --cluster start every data service the project uses on the cluster (those its frontends
        configure: hashserver, database), one line each.

        Exit codes: 0 running (launched or reused); 1 a launch failed (the end of the service's
        log is shown), or a configuration or resolution error; 2 usage error; 70 internal error.
        """,
        (
            json_option(
                "seamless-service-start",
                help="Print the connection payload as JSON (schema {schema}; one line per service).",
            ),
            json_schema_option("seamless-service-start"),
        ),
    )


def _restart() -> Command:
    return _command(
        "seamless-service-restart",
        """Restart a Seamless service: stop, remove its state on both sides, start it again.

        The log of the previous run is kept as <key>.log.1 (seamless-service-logs --previous).
        Persistent data is not touched: use seamless-service-clear between stop and start for a
        cold cache. Without --service, --project and/or --cluster restart every data service the
        project uses on the cluster (as seamless-service-start does), one after the other. With
        --json: one document per service (the stop and removal lines, and the new payload).

        Exit codes: 0 running again; 1 the stop, the removal or the launch failed, or a
        configuration error; 2 usage error; 255 a host unreachable while stopping; 70 internal
        error.
        """,
        (json_option("seamless-service-restart"), json_schema_option("seamless-service-restart")),
    )


def _doctor() -> Command:
    from ..doctor.model import EXIT_USAGE

    return _command(
        "seamless-service-doctor",
        """Diagnose a Seamless service deployment.

        Runs the remote-debugging checklist for the selection (default: seamless.yaml and
        seamless.profile.yaml of the current directory) and prints one verdict per check, ok, warning
        or problem, with the evidence and the next step:

        \b
          0  configuration
          1  hosts and helpers: SSH, the PATH prepend, rhl-guard
          2  service state: PID identity, port, handshake
          3  server-side logs: the error classified, the repository to fix named
          4  false-pass risk: cached data with no process, or older than the instance
          5  local leftovers: stale connection files, SSH tunnels

        Without --service: every service the selection can run.

        Exit codes: 0 all ok, 1 warnings, 2 problems, 64 usage error, 70 internal error.
        """,
        (
            flag("--json", "as_json", "One JSON document (schema seamless-service-doctor/1)."),
            json_schema_option("seamless-service-doctor"),
            flag(
                "--fix",
                "fix",
                "Then remove stale connection files and end stale tunnels the launcher started (announced "
                "first); never clears data, never stops a service.",
            ),
        ),
        usage_exit_code=EXIT_USAGE,
    )


_BUILDERS = {
    "seamless-service-ps": _ps,
    "seamless-service-stop": _stop,
    "seamless-service-rm": _rm,
    "seamless-service-logs": _logs,
    "seamless-service-inspect": _inspect,
    "seamless-service-clear": _clear,
    "seamless-service-resolve": _resolve,
    "seamless-service-start": _start,
    "seamless-service-restart": _restart,
    "seamless-service-doctor": _doctor,
}
_BUILT: dict[str, Command] = {}


def entry(name: str) -> Command:
    """The table entry of command ``name`` (built on first use: a command builds only its own)."""
    found = _BUILT.get(name)
    if found is None:
        found = _BUILT[name] = _BUILDERS[name]()
    return found


def names() -> list[str]:
    """Every command of the table, in the order of :data:`..cli.COMMANDS`."""
    return list(_BUILDERS)
