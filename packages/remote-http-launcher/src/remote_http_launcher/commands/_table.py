"""The command table: every ``rhl-*`` helper (and the launcher) declared once, as plain data.

It is the single source of each command's help text, its parser (:mod:`._parse`), its docs
page (``docs/reference/<name>.md`` holds the rendered help, tests/test_docs.py compares) and
its shell completion (click, built from this table only when asked: :mod:`._click`).

Plain classes, no dataclasses/typing/enum at run time: this module is imported on every SSH
call, and ``--help`` must cost no more than printing. Each entry is written as the function
that builds it, and :data:`COMMANDS` builds an entry when it is first looked up.

Option/argument ``check`` values: ``"str"``; ``"key"`` (a valid state key); ``"filename"`` (a
simple file name: no ``/``, not ``.``/``..``/empty); ``("int", low, high)`` and
``("float", low, high)`` (bounds inclusive, None for none; floats must be finite: ``nan``,
``inf``, ``1e400`` are refused); ``("choice", (values...))``.
"""

# Quoted annotations, no __future__ import: rhl-guard's decision loads this module (guard/__init__.py).

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, ItemsView, Iterator, KeysView
    from typing import Any


class Option:
    """``--name VALUE`` (kind ``value``), ``--name`` (``flag``) or a repeatable value (``multi``,
    the values in order; ``()`` when not given)."""

    __slots__ = ("check", "default", "dest", "flags", "help", "kind", "metavar", "required", "show_default")

    def __init__(
        self,
        flags: tuple[str, ...],
        dest: str,
        kind: str,
        *,
        check: "Any" = "str",
        default: "Any" = None,
        show_default: bool = False,
        metavar: str | None = None,
        required: bool = False,
        help: str = "",
    ) -> None:
        self.flags = flags
        self.dest = dest
        self.kind = kind
        self.check = check
        self.default = default
        self.show_default = show_default
        self.metavar = metavar
        self.required = required
        self.help = help


class Argument:
    """A positional argument: ``nargs`` 1, or -1 for "the rest" (a tuple; last only)."""

    __slots__ = ("check", "dest", "metavar", "nargs", "required")

    def __init__(
        self,
        dest: str,
        *,
        metavar: str | None = None,
        nargs: int = 1,
        required: bool = True,
        check: "Any" = "str",
    ) -> None:
        self.dest = dest
        self.metavar = metavar
        self.nargs = nargs
        self.required = required
        self.check = check


class Command:
    """One command: its help, options, arguments, exit codes and body.

    ``body`` is ``"module:function"``, imported only when the command runs; it is called
    with the parsed values as keyword arguments and returns the exit code. ``interspersed``
    False: the first positional word ends the options (``rhl-launch-service``: the service's
    own argv follows). ``usage_exit_code``: what a usage error exits with. ``delegate``
    (the launcher): ``"module:function"`` taking the whole argv, which parses it itself.
    """

    __slots__ = (
        "arguments",
        "body",
        "delegate",
        "exit_codes",
        "help",
        "interspersed",
        "name",
        "options",
        "usage_exit_code",
    )

    def __init__(
        self,
        name: str,
        *,
        help: str,
        options: "tuple[Option, ...]" = (),
        arguments: "tuple[Argument, ...]" = (),
        interspersed: bool = True,
        usage_exit_code: int = 1,
        exit_codes: dict[int, str] | None = None,
        body: str | None = None,
        delegate: str | None = None,
    ) -> None:
        self.name = name
        self.options = options
        self.arguments = arguments
        self.interspersed = interspersed
        self.usage_exit_code = usage_exit_code
        self.exit_codes = exit_codes or {0: "success", usage_exit_code: "usage error"}
        # Every helper's --help states its exit codes (issue 17.6), from this one table entry,
        # so the runner's help and click's (the parity test) say the same. The launcher's
        # help states its own in prose.
        self.help = help + exit_codes_paragraph(self.exit_codes) if name.startswith("rhl-") else help
        self.body = body
        self.delegate = delegate

    def option_map(self) -> "dict[str, Option]":
        """Every exact option spelling -> its option."""
        return {flag: option for option in self.options for flag in option.flags}


class CommandTable:
    """name -> :class:`Command`, each entry built when it is first looked up.

    Every SSH call runs one helper, which needs its own entry only; building all of them
    (a hundred options) costs that call about a quarter of a millisecond. Names, membership
    and order are known without building anything; ``values()`` and ``items()`` build all.
    A plain class with the read-only mapping methods (an ABC base costs a class creation
    through ``ABCMeta`` on every call).
    """

    __slots__ = ("_builders", "_built")

    def __init__(self, builders: "dict[str, Callable[[], Command]]") -> None:
        self._builders = builders
        self._built: dict[str, Command] = {}

    def __getitem__(self, name: str) -> "Command":
        command = self._built.get(name)
        if command is None:
            command = self._built[name] = self._builders[name]()
        return command

    def __contains__(self, name: object) -> bool:
        return name in self._builders

    def __iter__(self) -> "Iterator[str]":
        return iter(self._builders)

    def __len__(self) -> int:
        return len(self._builders)

    def get(self, name: str, default: "Command | None" = None) -> "Command | None":
        return self[name] if name in self._builders else default

    def keys(self) -> "KeysView[str]":
        return self._builders.keys()

    def values(self) -> "list[Command]":
        return [self[name] for name in self._builders]

    def items(self) -> "ItemsView[str, Command]":
        return {name: self[name] for name in self._builders}.items()


def exit_codes_paragraph(exit_codes: dict[int, str]) -> str:
    """``"\n\nExit codes: 0 printed; 1 usage error, no log file."``: the last paragraph of a
    helper's help."""
    return "\n\nExit codes: " + "; ".join(f"{code} {what}" for code, what in sorted(exit_codes.items())) + "."


#: The ``meta`` fields a ``--meta-*`` selection of rhl-stop/rhl-rm names (:mod:`..selection`),
#: in the order the options are listed. Here, not there: the table is loaded on every call.
META_FIELDS = ("cluster", "service", "mode", "project", "subproject", "stage", "substage")


def _meta_options(verb: str) -> "tuple[Option, ...]":
    """rhl-stop/rhl-rm: ``--meta-cluster NAME`` and the fields that narrow it
    (:mod:`..selection`; the values come to the body as ``meta_<field>``)."""
    return tuple(
        Option(
            (f"--meta-{name}",),
            f"meta_{name}",
            "value",
            metavar="NAME",
            help=(
                f"Also {verb} the services whose state meta names a service and this cluster."
                if name == "cluster"
                else f"With --meta-cluster: only those whose meta {name} is NAME."
            ),
        )
        for name in META_FIELDS
    )


def _worker_job_options(when: str) -> "tuple[Option, ...]":
    """rhl-stop/rhl-rm: cancel the batch jobs of Dask services' workers in the same call
    (``bodies.stop.run``; the rules of rhl-jobs --cancel)."""
    return (
        Option(
            ("--cancel-worker-jobs",),
            "cancel_worker_jobs",
            "value",
            metavar="SYSTEM",
            help=(
                f"{when} cancel the SYSTEM batch jobs (slurm, oar, or a plugin's) whose Dask worker"
                " connects to each key's scheduler port, as rhl-jobs --cancel does."
            ),
        ),
        Option(
            ("--worker-jobs-of",),
            "worker_jobs_of",
            "multi",
            metavar="SERVICE",
            help="With --cancel-worker-jobs: only for keys whose state meta names this service.",
        ),
    )


def _rhl_ps() -> "Command":
    return Command(
        "rhl-ps",
        help=(
            "List service state rows, one per state file.\n\n"
            "Reads the server state directory, or the client connection files with --client. The "
            "STATUS column is computed: a 'running' or 'starting' row whose process is gone, or whose"
            " PID now belongs to an unrelated process, is shown as 'stale'; an unreadable file as "
            "'corrupt'. --json prints one JSON object per line (NDJSON, keys sorted)."
        ),
        options=(
            Option(
                ("--client",), "client", "flag", help="List client connection files instead of server state."
            ),
            Option(
                ("--host",),
                "ssh_host",
                "value",
                metavar="SSH_HOST",
                help="With --client: only rows for this SSH host.",
            ),
            Option(
                ("--status",),
                "status",
                "value",
                metavar="STATE",
                help="Only rows whose computed status is STATE.",
            ),
            Option(("--key",), "keys_only", "flag", help="Print only the keys, one per line."),
            Option(
                ("--no-status",), "no_status", "flag", help="Do not probe processes (stored status is shown)."
            ),
            Option(("--json",), "as_json", "flag", help="Print NDJSON rows."),
        ),
        arguments=(),
        exit_codes={0: "rows printed", 1: "usage error"},
        body="remote_http_launcher.bodies.ps:run",
    )


def _rhl_ps_persistent() -> "Command":
    return Command(
        "rhl-ps-persistent",
        help=(
            "Report whether data directories are absent, empty or populated.\n\n"
            "Each PATH must be absolute (after ~ expansion), without '..', and not a system "
            "directory. With --level N, sub-directories down to N levels are reported too; a symbolic"
            " link among them is reported as 'symlink', never walked. Marker files and STAGE-* "
            "directories are not content. With --marker NAME only directories holding NAME are "
            "reported, and NAME itself does not make a directory populated. With --file NAME a "
            "directory is populated when NAME exists, and SIZE is that file's size. --size computes "
            "the size of populated directories."
        ),
        options=(
            Option(
                ("--level",),
                "level",
                "value",
                check=("int", 0, None),
                default=0,
                show_default=True,
                metavar="N",
                help="How many levels of sub-directories to report.",
            ),
            Option(
                ("--file",),
                "filename",
                "value",
                check="filename",
                metavar="FILENAME",
                help="A directory is populated when it holds this file.",
            ),
            Option(
                ("--marker",),
                "marker",
                "value",
                check="filename",
                metavar="FILENAME",
                help="Only report directories holding this marker file.",
            ),
            Option(
                ("--size",), "with_size", "flag", help="Compute the size of populated directories (bytes)."
            ),
            Option(("--json",), "as_json", "flag", help="Print NDJSON rows."),
        ),
        arguments=(Argument("roots", metavar="PATH...", nargs=-1),),
        exit_codes={0: "every PATH reported", 1: "usage error, refused or unreadable PATH"},
        body="remote_http_launcher.bodies.ps_persistent:run",
    )


def _rhl_logs() -> "Command":
    return Command(
        "rhl-logs",
        help=(
            "Print the log of the service with this KEY.\n\n"
            "The log path is derived from the key, so a log stays readable after rhl-rm. --tail N "
            "prints the last N lines; --follow keeps printing what is appended (Ctrl-C to stop); "
            "--previous prints the log of the launch before the current one."
        ),
        options=(
            Option(
                ("--tail",),
                "tail",
                "value",
                check=("int", 0, None),
                metavar="N",
                help="Print only the last N lines.",
            ),
            Option(("-f", "--follow"), "follow", "flag", help="Keep printing lines as they are appended."),
            Option(("--previous",), "previous", "flag", help="Read the previous launch's log (<key>.log.1)."),
        ),
        arguments=(Argument("key", check="key"),),
        exit_codes={0: "printed", 1: "usage error, no log file"},
        body="remote_http_launcher.bodies.logs:run",
    )


def _rhl_inspect() -> "Command":
    return Command(
        "rhl-inspect",
        help=(
            "Print the server state JSON of the service with this KEY (indented, keys sorted).\n\n"
            '--with-mtime prints one compact line {"mtime": <epoch seconds>, "data": <state>} for '
            "pollers.\n\n"
            "--runtime KEY... prints, for each KEY, one JSON line saying what its running service "
            "runs: pid, exe (/proc/PID/exe), argv, the interpreter of its command, and the "
            "distribution providing the command in that interpreter's environment (version, "
            "editable or not, where it points), or an error. Only a process whose identity matches "
            "its state file is read; nothing is changed."
        ),
        options=(
            Option(("--with-mtime",), "with_mtime", "flag", help="Print {mtime, data} on one line."),
            Option(
                ("--runtime",), "runtime", "flag", help="Print what each KEY's running service runs (NDJSON)."
            ),
        ),
        arguments=(
            Argument("key", check="key"),
            Argument("more", metavar="[KEY]...", nargs=-1, required=False, check="key"),
        ),
        exit_codes={
            0: "printed",
            1: "usage error, no state file, corrupt file, --runtime: a row has an error",
        },
        body="remote_http_launcher.bodies.inspect:run",
    )


def _rhl_stop() -> "Command":
    return Command(
        "rhl-stop",
        help=(
            "Stop the services with these KEYs: SIGINT, then SIGTERM, then SIGKILL.\n\n"
            "Signals go to the service's whole process group, and only after checking that the "
            "recorded PID still belongs to the process that was launched (a reused PID is never "
            "signalled). Each escalation step ends as soon as the group is gone. The state file is "
            "kept and marked 'stale', so the log stays reachable; remove it with rhl-rm. One line per"
            " key: '<key>: stopped | already gone | kill required | missing state | permission denied"
            " | corrupt state | invalid PID | still running after SIGKILL'. Exit 1 if any key could "
            "not be stopped.\n\n"
            "--meta-cluster NAME (narrowed by the other --meta-* options) also stops every service "
            "whose state file's meta names a service and that cluster (and each field given, exactly)"
            ": what seamless-service-stop --cluster sends, so that one call selects and stops. A "
            "state file without such meta is picked only by its KEY.\n\n"
            "--cancel-worker-jobs SYSTEM: each key's scheduler port is read before the stop; after"
            " it, the batch jobs still connecting to the port of each key that is gone are cancelled"
            " (only this user's jobs; refused for a port a running service uses), one line each "
            "after the stop lines: '<key>: cancelled N worker jobs (ids)'. A failure to cancel is "
            "one line on stderr and exit 1."
        ),
        options=(
            Option(
                ("--sigint-grace",),
                "sigint_grace",
                "value",
                check=("float", 0, None),
                default=5.0,
                show_default=True,
                metavar="SECONDS",
                help="How long to wait after SIGINT.",
            ),
            Option(
                ("--sigterm-grace",),
                "sigterm_grace",
                "value",
                check=("float", 0, None),
                default=5.0,
                show_default=True,
                metavar="SECONDS",
                help="How long to wait after SIGTERM.",
            ),
            *_meta_options("stop"),
            *_worker_job_options("After the stop:"),
        ),
        arguments=(Argument("keys", metavar="KEY...", nargs=-1, required=False, check="key"),),
        exit_codes={0: "every key stopped or already gone", 1: "usage error, a key could not be stopped"},
        body="remote_http_launcher.bodies.stop:run",
    )


def _rhl_rm() -> "Command":
    return Command(
        "rhl-rm",
        help=(
            "Remove the client and/or server state JSON of these KEYs; logs are kept.\n\n"
            "Without --client or --server both are removed. A server state file whose process is "
            "still running is not removed (that would orphan the service): stop it first with "
            "rhl-stop, or pass --force.\n\n"
            "--meta-cluster NAME (narrowed by the other --meta-* options) also removes the state of "
            "every service whose server state file's meta names a service and that cluster (and each"
            " field given, exactly), as rhl-stop does.\n\n"
            "--cancel-worker-jobs SYSTEM (server state only): first cancel the batch jobs whose "
            "worker connects to each key's scheduler port, as rhl-jobs --cancel KEY does, one line "
            "each before the removal lines: '<key>: cancelled N worker jobs (ids)'."
        ),
        options=(
            Option(("--client",), "client", "flag", help="Remove client connection files."),
            Option(("--server",), "server", "flag", help="Remove server state files."),
            Option(("--force",), "force", "flag", help="Remove server state even if its service still runs."),
            *_meta_options("remove"),
            *_worker_job_options("Before removing server state:"),
        ),
        arguments=(Argument("keys", metavar="KEY...", nargs=-1, required=False, check="key"),),
        exit_codes={0: "removed or not present", 1: "usage error, refused or failed removal"},
        body="remote_http_launcher.bodies.rm:run",
    )


def _rhl_clear() -> "Command":
    return Command(
        "rhl-clear",
        help=(
            "Remove the contents of a persistent data directory (the directory itself stays).\n\n"
            "Every direct child is removed, at any depth, except those whose names start with '.' "
            "(markers such as .HASHSERVER_PREFIX, dot-directories). Symbolic links are removed, never"
            " followed. PATH must be absolute, without '..', and never a system directory, a shared "
            "tree such as /tmp or /home, $HOME or an ancestor of $HOME. A PATH with a segment "
            "starting with '.' (~/.cache/x) and a directory used by a running service are refused "
            "unless --force is given."
        ),
        options=(
            Option(
                ("--force",),
                "force",
                "flag",
                help="Clear even if a running service uses the directory or PATH has a dot-prefixed segment.",
            ),
            Option(
                ("--keep",),
                "keep",
                "multi",
                check="filename",
                metavar="GLOB",
                help="Keep the direct children whose names match GLOB (repeatable; wins over --only).",
            ),
            Option(
                ("--only",),
                "only",
                "multi",
                check="filename",
                metavar="GLOB",
                help="Remove only the direct children whose names match one GLOB (repeatable).",
            ),
            Option(
                ("--nested",),
                "nested",
                "flag",
                help="PATH is a stage's or subproject's directory: "
                "a service on an enclosing directory does not block.",
            ),
        ),
        arguments=(Argument("path"),),
        exit_codes={0: "cleared", 1: "usage error, refused path, in use, a child not removed"},
        body="remote_http_launcher.bodies.clear:run",
    )


def _rhl_pid_alive() -> "Command":
    return Command(
        "rhl-pid-alive",
        help=(
            "Exit 0 if PID is alive, 1 if it is not (a zombie is not alive). Usage errors exit 64.\n\n"
            "With --wait, block until PID is gone and then exit 1; exit 0 if it is still alive when "
            "--timeout runs out, or when the reader of standard output goes away (an SSH connection "
            "that closed)."
        ),
        options=(
            Option(("--wait",), "wait", "flag", help="Block until PID is gone (exit 1)."),
            Option(
                ("--timeout",),
                "timeout",
                "value",
                check=("float", 0, None),
                metavar="SECONDS",
                help="With --wait: stop waiting after SECONDS and exit 0 (default: wait indefinitely).",
            ),
        ),
        arguments=(Argument("pid", metavar="PID"),),
        usage_exit_code=64,
        exit_codes={0: "alive", 1: "not alive", 64: "usage error"},
        body="remote_http_launcher.bodies.pid_alive:run",
    )


def _rhl_verify_port() -> "Command":
    return Command(
        "rhl-verify-port",
        help=(
            "Exit 0 once a TCP connection to HOST PORT succeeds, 1 after the last failed attempt.\n\n"
            "--key KEY instead of HOST PORT: check the port of KEY's service as its server state file "
            "records it (status running or starting, port, network_interface: localhost when absent, "
            "127.0.0.1 for a wildcard bind), the check a client makes from a state row; exit 3 when "
            "the state file is missing or corrupt, or names no running service with a valid port."
        ),
        options=(
            Option(
                ("--key",),
                "key",
                "value",
                check="key",
                metavar="KEY",
                help="Check the port recorded in KEY's state file (no HOST PORT then).",
            ),
            Option(
                ("--attempts",),
                "attempts",
                "value",
                check=("int", 1, 100),
                default=3,
                show_default=True,
                help="Connection attempts (a short growing pause between them).",
            ),
            Option(
                ("--timeout",),
                "timeout",
                "value",
                check=("float", 0.01, 600),
                default=2.0,
                show_default=True,
                metavar="SECONDS",
                help="Timeout of each attempt.",
            ),
        ),
        arguments=(
            # HOST PORT, or nothing with --key (the body checks which: bodies.verify_port)
            Argument("address", metavar="[HOST PORT]", nargs=-1, required=False),
        ),
        exit_codes={
            0: "connected",
            1: "not connected, usage error",
            3: "--key: nothing to check",
            77: "--key under rhl-guard: the state's host is not this machine",
        },
        body="remote_http_launcher.bodies.verify_port:run",
    )


def _rhl_handshake() -> "Command":
    return Command(
        "rhl-handshake",
        help=(
            "GET URL once: exit 0 for HTTP 2xx, 2 for another HTTP status, 1 for a network error "
            "(refused, timeout, DNS). Usage errors exit 64.\n\n"
            "--key KEY instead of URL: GET http://HOST:PORT/PATH, with HOST and PORT taken from KEY's "
            "server state file as rhl-verify-port --key takes them (PORT from the state field "
            "--port-name names, default port); exit 3 when the state file is missing or corrupt, or "
            "names no running service with a valid port."
        ),
        options=(
            Option(
                ("--key",),
                "key",
                "value",
                check="key",
                metavar="KEY",
                help="Check the service recorded in KEY's state file (no URL then).",
            ),
            Option(
                ("--path",),
                "path",
                "value",
                metavar="PATH",
                help="With --key: the path and query to GET (starts with /; default /).",
            ),
            Option(
                ("--port-name",),
                "port_name",
                "value",
                metavar="NAME",
                help="With --key: the state field holding the port (default port).",
            ),
            Option(
                ("--timeout",),
                "timeout",
                "value",
                check=("float", 0.01, 600),
                default=10.0,
                show_default=True,
                metavar="SECONDS",
                help="Timeout of the request.",
            ),
        ),
        # URL, or nothing with --key (the body checks which: bodies.verify_port.usage_problem)
        arguments=(Argument("url", metavar="[URL]", nargs=-1, required=False),),
        usage_exit_code=64,
        exit_codes={
            0: "HTTP 2xx",
            1: "network error",
            2: "other HTTP status",
            3: "--key: nothing to check",
            64: "usage error",
            77: "--key under rhl-guard: the state's host is not this machine",
        },
        body="remote_http_launcher.bodies.handshake:run",
    )


def _rhl_launch_service() -> "Command":
    return Command(
        "rhl-launch-service",
        help=(
            "Start the service BINARY [ARG...] for KEY, detached, and record it in the server state.\n\n"
            "BINARY must be whitelisted (hashserver, seamless-database, seamless-jobserver, "
            "seamless-dask-wrapper, or the tools file named by RHL_TOOLS_YAML). The state file is "
            "written, with the process identity, before the service starts. If a live service already"
            " holds KEY nothing is started. Prints one JSON line: key, launched, pid, status, "
            "state_file.\n\n"
            "With --await, the whole launch happens here, under a per-key lock: a running service "
            "that still answers is reused, a starting one is waited for, anything else is replaced by"
            " a fresh launch, which is waited for until its state says running and it accepts "
            "connections and answers its handshake. The JSON line then also has outcome (launched | "
            "reused) and state. A service that fails, exits, or makes no progress for --idle-timeout "
            "seconds is stopped (its whole process group), marked failed, and reported with the tail "
            "of its log (exit 3)."
        ),
        options=(
            Option(("--key",), "key", "value", check="key", required=True, help="The service key."),
            Option(
                ("--workdir",),
                "workdir",
                "value",
                metavar="DIR",
                required=True,
                help="Working directory (absolute, created).",
            ),
            Option(
                ("--conda-env",),
                "conda_env",
                "value",
                metavar="ENV",
                help="Conda environment to activate (see rhl-cache-conda).",
            ),
            Option(
                ("--network-interface",),
                "network_interface",
                "value",
                metavar="HOST",
                help="Interface the service binds, recorded in the state.",
            ),
            Option(
                ("--parameters",),
                "parameters",
                "value",
                metavar="JSON",
                help="JSON object stored as 'parameters'.",
            ),
            Option(("--meta",), "meta", "value", metavar="JSON", help="JSON object stored as 'meta'."),
            Option(("--await",), "await_ready", "flag", help="Reuse, wait for, or launch, until ready."),
            Option(
                ("--handshake",),
                "handshake",
                "value",
                metavar="PATH",
                help="With --await: HTTP path that must answer 2xx.",
            ),
            Option(
                ("--handshake-port-name",),
                "handshake_port_name",
                "value",
                metavar="FIELD",
                help="With --await: state field holding the handshake port.",
            ),
            Option(
                ("--idle-timeout",),
                "idle_timeout",
                "value",
                check=("float", 0, None),
                default=60.0,
                show_default=True,
                metavar="SECONDS",
                help="With --await: give up when state file and log stay unchanged this long.",
            ),
            Option(
                ("--timeout",),
                "timeout",
                "value",
                check=("float", 0, None),
                metavar="SECONDS",
                help="With --await: give up when not ready after this long.",
            ),
            Option(("--progress",), "progress", "flag", help="With --await: announce phases on stderr."),
        ),
        arguments=(Argument("service_argv", metavar="[--] BINARY [ARG...]", nargs=-1, required=False),),
        interspersed=False,
        usage_exit_code=2,
        exit_codes={
            0: "launched or already running",
            1: "refused or failed to start",
            2: "usage error",
            3: "--await: not ready",
        },
        body="remote_http_launcher.bodies.launch_service:run",
    )


def _rhl_cache_conda() -> "Command":
    return Command(
        "rhl-cache-conda",
        help=(
            "Find conda on this host and write ~/.remote-http-launcher/conda-setup.json.\n\n"
            "Tries, in order: $CONDA_EXE and conda on PATH, the conda initialize block of ~/.bashrc, "
            "then ~/miniforge3, ~/miniconda3, ~/mambaforge and ~/anaconda3. The first installation "
            "whose 'conda info --json' answers and whose conda.sh can 'conda activate base' is "
            "recorded: its conda.sh, its root prefix and its environments. No login shell is run. The"
            " file is replaced atomically. Run it again after creating or removing environments (the "
            "launch helper also refreshes it once when an environment is not listed)."
        ),
        options=(Option(("--json",), "as_json", "flag", help="Print the new cache as rhl-conda-info does."),),
        arguments=(),
        exit_codes={0: "cache written", 1: "usage error, conda not found or unusable"},
        body="remote_http_launcher.bodies.cache_conda:run",
    )


def _rhl_conda_info() -> "Command":
    return Command(
        "rhl-conda-info",
        help=(
            "Print ~/.remote-http-launcher/conda-setup.json as one compact JSON line (keys sorted).\n\n"
            "The cache is written by rhl-cache-conda. A missing, unreadable or malformed cache is an "
            "error (exit 1)."
        ),
        options=(),
        arguments=(),
        exit_codes={0: "cache printed", 1: "usage error, no or malformed cache"},
        body="remote_http_launcher.bodies.conda_info:run",
    )


def _rhl_jobs() -> "Command":
    return Command(
        "rhl-jobs",
        help=(
            "List (or with --cancel, cancel) the batch jobs that run the Dask workers of the services"
            " with these KEYs, or of the Dask scheduler on --port.\n\n"
            "Only jobs of the user running this command are considered, and a job belongs to a "
            "service when its worker connects to the service's scheduler port (the 'port' in its "
            "state file). --cancel refuses a port that a running service still uses. One JSON object "
            "per KEY (and one for --port): key, port, system, jobs (id, state pending|running|other, "
            "name, scheduler_state), with --cancel the cancelled ids, and 'error' or 'note' when "
            "there was nothing to match. Exit 0 when every KEY was answered, 1 otherwise, 2 on a "
            "usage error."
        ),
        options=(
            Option(
                ("--system",),
                "system",
                "value",
                metavar="NAME",
                required=True,
                help="The batch system: slurm, oar, or one added by a plugin.",
            ),
            Option(
                ("--port",),
                "port",
                "value",
                check=("int", 1, 65535),
                help="Also match the jobs whose worker connects to this scheduler port.",
            ),
            Option(("--cancel",), "cancel", "flag", help="Cancel the matched jobs."),
        ),
        arguments=(Argument("keys", metavar="[KEY]...", nargs=-1, required=False, check="key"),),
        usage_exit_code=2,
        exit_codes={0: "every key answered", 1: "a row has an error, batch system failed", 2: "usage error"},
        body="remote_http_launcher.bodies.jobs:run",
    )


def _rhl_batch() -> "Command":
    return Command(
        "rhl-batch",
        help=(
            "Run several helper command lines here, in order, in this one process, and print one JSON"
            " object per line.\n\n"
            "Each CMDLINE is one complete helper command line in shell words, e.g. 'rhl-ps --json', "
            "split as a POSIX shell would but without one: no unquoted shell syntax, no NAME=value "
            "prefix. Every line is parsed before any runs; a line that is not a helper of this "
            "installation, does not parse, or is rhl-batch, rhl-launch-service or rhl-logs --follow "
            "is a usage error (exit 2) and nothing runs. Output (NDJSON, keys sorted), one object per"
            " line as it finishes: argv (the line's words), rc, stdout and stderr (decoded as UTF-8, "
            "invalid bytes replaced). Exit 0 when every line ran, whatever their rc.\n\n"
            "--session adds one last object, {\"session\": {...}}: guard ('rhl-guard' when rhl-guard "
            "runs this batch, else null), forced_command (sshd ran a forced command: rhl-guard, or "
            "SSH_ORIGINAL_COMMAND is set) and plain: without rhl-guard and when PATH starts with the "
            "seeds' prepend ($HOME/miniforge3/bin:$HOME/miniconda3/bin:), what 'rhl-ps --version' "
            "answers on the PATH without it (argv, rc, stdout, stderr; rc 127 when not found), else "
            "null. What seamless-service-doctor asks in the same round trip as its rhl-ps.\n\n"
            "--each=TEMPLATE (repeatable; with '=', as TEMPLATE starts with '-'): '--meta-cluster NAME"
            " [--meta-FIELD NAME]... [--except KEY]... CMDLINE', where CMDLINE holds the word {key}: "
            "CMDLINE runs once for every server"
            " state file whose meta the --meta-* options pick, as rhl-stop --meta-cluster picks them "
            "(in file order, the --except keys left out), with {key} replaced by its key. The "
            "selection is made once, before any line runs; each such line is parsed (under rhl-guard"
            " decided) as if it came alone, after the CMDLINEs, and its object also has each (the "
            "template's index, from 0) and key. A template is checked even when it selects nothing."
        ),
        options=(
            Option(("--session",), "session", "flag", help="Also print what this SSH session looks like."),
            Option(
                ("--each",),
                "each",
                "multi",
                metavar="TEMPLATE",
                help="Also run a command line for every state key a meta selection picks.",
            ),
        ),
        arguments=(Argument("lines", metavar="CMDLINE...", nargs=-1),),
        usage_exit_code=2,
        exit_codes={0: "every line ran", 2: "usage error (nothing ran)"},
        body="remote_http_launcher.commands._batch:run",
    )


def _remote_http_launcher() -> "Command":
    return Command(
        "remote-http-launcher",
        help=(
            "Bring up the service that CONFIG (YAML) describes, exactly once, here or over SSH, and "
            "write its connection file.\n\n"
            "A connection file that still answers is reused at once. Otherwise the target reuses a "
            "running service, waits for a starting one or launches a new one, in one call of "
            "rhl-launch-service --await; then an SSH tunnel is opened if configured, the service is "
            "checked from this machine, and only then is the connection file written. Progress goes to "
            "stderr: a live line on a terminal, one line per phase otherwise. Exit 0 when the service "
            "answers, 1 when it could not be brought up (the end of its log is shown), 2 for usage and "
            "configuration errors."
        ),
        options=(
            Option(
                ("--connection-dir",),
                "connection_dir",
                "value",
                metavar="DIR",
                help="Where connection files live (default: the client dir).",
            ),
            Option(
                ("--dry-run",),
                "dry_run",
                "flag",
                help="Print the command the target would run; change nothing.",
            ),
            Option(
                ("--log-level",),
                "log_level",
                "value",
                check=("choice", ("minimal", "basic", "debug")),
                help="Progress detail.",
            ),
            Option(
                ("--log-file",),
                "log_file",
                "value",
                metavar="PATH",
                help="Also write basic progress lines here (minimal level).",
            ),
            Option(
                ("--debug-log-file",),
                "debug_log_file",
                "value",
                metavar="PATH",
                help="Also write debug progress lines here.",
            ),
            Option(
                ("--idle-timeout",),
                "idle_timeout",
                "value",
                check=("float", 0, None),
                default=60.0,
                show_default=True,
                metavar="SECONDS",
                help="Give up on a start that shows no progress (state file and log unchanged) this long.",
            ),
            Option(("--json",), "as_json", "flag", help="Print the connection payload as JSON on stdout."),
        ),
        arguments=(Argument("config", metavar="CONFIG"),),
        usage_exit_code=2,
        exit_codes={
            0: "the service answers",
            1: "it could not be brought up",
            2: "usage or configuration error",
        },
        body="remote_http_launcher.launch.command:launch",
    )


#: name -> the function that builds its entry, in the order the helpers are listed in the docs;
#: the launcher last (same table, same parser; its body is the launch sequence, launch.command).
_BUILDERS: "dict[str, Callable[[], Command]]" = {
    "rhl-ps": _rhl_ps,
    "rhl-ps-persistent": _rhl_ps_persistent,
    "rhl-logs": _rhl_logs,
    "rhl-inspect": _rhl_inspect,
    "rhl-stop": _rhl_stop,
    "rhl-rm": _rhl_rm,
    "rhl-clear": _rhl_clear,
    "rhl-pid-alive": _rhl_pid_alive,
    "rhl-verify-port": _rhl_verify_port,
    "rhl-handshake": _rhl_handshake,
    "rhl-launch-service": _rhl_launch_service,
    "rhl-cache-conda": _rhl_cache_conda,
    "rhl-conda-info": _rhl_conda_info,
    "rhl-jobs": _rhl_jobs,
    "rhl-batch": _rhl_batch,
    "remote-http-launcher": _remote_http_launcher,
}

#: name -> command (:class:`CommandTable`: each entry is built when first looked up).
COMMANDS = CommandTable(_BUILDERS)

#: The helpers (what rhl-guard's fixed table and rhl-batch accept): every command but the launcher.
HELPERS = frozenset(name for name in COMMANDS if name.startswith("rhl-"))
