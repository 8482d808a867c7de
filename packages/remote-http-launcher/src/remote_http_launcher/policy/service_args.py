"""What the services ``rhl-launch-service`` starts do with their arguments, and the guard's
check of a service command line against the path policy.

``rhl-launch-service --key K --workdir W -- SERVICE ARG...`` runs ``SERVICE ARG...`` in ``W``.
The guard checks ``W`` (``workdir``) and, here, every ``ARG``: a service that writes into a
directory can put its marker file there (hashserver's ``.HASHSERVER_PREFIX``), which
``rhl-clear`` then accepts, and a service whose ``--status-file`` names another key's state
file overwrites that key's record. So every argument that names a path must be allowed for
what the service will do with it, and the state file must be exactly the key's own.

:data:`SERVICES` declares, for the services of the default whitelist (``spawn.DEFAULT_WHITELIST``),
every option and positional argument their own parsers know (taken from their ``--help`` and
their argparse definitions: hashserver 1.1, seamless-database, seamless-jobserver,
seamless-dask-wrapper) and what each one is:

* :data:`PLAIN`: not a path (a port, host, number, name); a value that looks like a path is
  refused;
* :data:`DATADIR`: a directory the service writes into: checked as ``write``;
* :data:`DATAFILE`: a file the service writes: its directory is checked as ``write``, through
  the file's resolved location (a symlink named like the file counts where it points);
* :data:`READDIRS`: ``;``-separated directories the service reads and serves: each checked as
  ``walk``;
* :data:`STATE`: the status file: exactly this key's own state file;
* :data:`CLUSTER`: the Dask wrapper's ``MODULE::SYMBOL``, which it imports and calls: only a
  cluster class of ``distributed`` or ``dask_jobqueue`` (:data:`DASK_CLUSTER_MODULES`,
  ``MODULE::NAMECluster``), else the wrapper would import any installed module and call any
  of its functions that needs no argument;
* :data:`FLAG`: an option without a value.

A declared service's command line is parsed exactly: only the declared option names, in full
(argparse would expand an abbreviation such as ``--status-fil``: the guard refuses it instead),
``--opt=value`` for one-value options, each option at most once, values that do not start
with ``-``, ``--`` ends the options, and no more positional arguments than declared. Anything
else is refused.

A service that is not declared (a custom ``--tools-yaml`` whitelist) gets the generic rule:
exactly ``--status-file`` (or ``--status-file=``) is the state file, as ``rhl-launch-service``
itself treats it; every other word that names a path (``.``, ``..``, starting with ``/`` or
``~``, or containing ``/``; also the value of ``--opt=value`` and each part of a value split at
``:``, ``;``, ``,`` or ``=``) is checked as ``write``, both as the directory it names and as the
directory that would hold it if it is a file. A single-dash word containing a path is refused
(the guard cannot tell where the path starts).

For every service: relative paths are taken relative to the (resolved) workdir, which is the
service's working directory; a word ``~`` or ``~/...`` is expanded (``rhl-launch-service``
expands those), and any other value starting with ``~`` is checked both as written (relative)
and expanded; no checked path may lie inside the launcher's state directory (``--state-dir``),
whatever the policy.

The table is data, not code, so that a later service type declares its arguments by adding an
entry; docs/guard/admin-guide.md lists what is declared.
"""

from __future__ import annotations

import os

from .base import PathPolicy, PolicyViolation, _is_within, evaluate

PLAIN = "plain"
DATADIR = "datadir"
DATAFILE = "datafile"
READDIRS = "readdirs"
STATE = "state"
CLUSTER = "cluster"
FLAG = "flag"
ARGUMENT_KINDS = (PLAIN, DATADIR, DATAFILE, READDIRS, STATE, CLUSTER, FLAG)
#: The modules whose cluster classes seamless-dask-wrapper may start under the guard: those
#: of seamless-config-services' schedulers and of their plugins (``dask_jobqueue::PBSCluster``).
DASK_CLUSTER_MODULES = ("distributed", "dask_jobqueue")
#: What each kind is called in a refusal.
_DESCRIPTIONS = {
    PLAIN: "not a path",
    DATADIR: "data directory",
    DATAFILE: "data file",
    READDIRS: "read-only directories",
    STATE: "state file",
    CLUSTER: "Dask cluster",
}
HELPER = "rhl-launch-service"
#: Separators of lists inside one value (the generic rule checks each part too).
_LIST_SEPARATORS = ":;,="


class ServiceArguments:
    """The arguments one service's parser knows: ``options`` maps each option name, in full,
    to ``(kind, number of values)``; ``positionals`` gives the kind of each positional
    argument, in order."""

    __slots__ = ("name", "options", "positionals")

    def __init__(self, name: str, options: dict[str, tuple[str, int]], positionals: tuple[str, ...]) -> None:
        self.name = name
        self.options = options
        self.positionals = positionals


def _ports_host_status_timeout() -> dict[str, tuple[str, int]]:
    return {
        "--port": (PLAIN, 1),
        "--port-range": (PLAIN, 2),
        "--host": (PLAIN, 1),
        "--status-file": (STATE, 1),
        "--timeout": (PLAIN, 1),
    }


SERVICES: dict[str, ServiceArguments] = {
    # hashserver [--extra-dirs D;D] [--writable] [--port P | --port-range S E] [--host H]
    #   [--layout L] [--hash-algorithm A] [--lock-timeout T] [--status-file F] [--timeout T] directory
    "hashserver": ServiceArguments(
        "hashserver",
        {
            **_ports_host_status_timeout(),
            "--extra-dirs": (READDIRS, 1),
            "--writable": (FLAG, 0),
            "--layout": (PLAIN, 1),
            "--hash-algorithm": (PLAIN, 1),
            "--lock-timeout": (PLAIN, 1),
        },
        (DATADIR,),
    ),
    # seamless-database [--port P | --port-range S E] [--host H] [--writable] [--status-file F]
    #   [--timeout T] database_file
    "seamless-database": ServiceArguments(
        "seamless-database",
        {**_ports_host_status_timeout(), "--writable": (FLAG, 0)},
        (DATAFILE,),
    ),
    # seamless-jobserver [--port P | --port-range S E] [--host H] [--status-file F] [--timeout T]
    #   [--workers N]
    "seamless-jobserver": ServiceArguments(
        "seamless-jobserver",
        {**_ports_host_status_timeout(), "--workers": (PLAIN, 1)},
        (),
    ),
    # seamless-dask-wrapper CLUSTER --port-range S E [--host H] --status-file F [--timeout T]
    "seamless-dask-wrapper": ServiceArguments(
        "seamless-dask-wrapper",
        {
            "--port-range": (PLAIN, 2),
            "--host": (PLAIN, 1),
            "--status-file": (STATE, 1),
            "--timeout": (PLAIN, 1),
        },
        (CLUSTER,),
    ),
}


def dask_cluster_allowed(value: str, extra: tuple[str, ...] = ()) -> bool:
    """``MODULE::NAMECluster``, MODULE one of :data:`DASK_CLUSTER_MODULES` exactly (no
    submodule), NAME an ASCII identifier not starting with ``_``; or exactly one of ``extra``
    (``rhl-guard --dask-clusters``, the administrator's list)."""
    if value in extra:
        return True
    module, separator, symbol = value.partition("::")
    return (
        bool(separator)
        and module in DASK_CLUSTER_MODULES
        and symbol.isascii()
        and symbol.isidentifier()
        and symbol.endswith("Cluster")
        and symbol != "Cluster"
        and not symbol.startswith("_")
    )


def names_a_path(value: str) -> bool:
    """The generic rule's test: ``.``, ``..``, absolute, ``~``-prefixed, or containing ``/``."""
    return value in (".", "..") or value.startswith("~") or "/" in value


class _Context:
    """One service command line being checked."""

    def __init__(
        self,
        service: str,
        key: str,
        workdir: str,
        state_base: str,
        policy: PathPolicy,
        clusters: tuple[str, ...] = (),
    ) -> None:
        self.clusters = clusters
        self.service = service
        self.workdir = workdir
        self.policy = policy
        self.state_real = os.path.realpath(state_base)
        self.own_state = os.path.realpath(os.path.join(state_base, "server", key + ".json"))
        # A launcher that computed the default layout's path (0.4.5's and ours over SSH):
        # rhl-launch-service maps it onto this server's own state file.
        self.default_state = os.path.join(
            os.path.expanduser("~/.remote-http-launcher"), "server", key + ".json"
        )
        self.checked: list[tuple[str, str, str]] = []

    def refuse(self, word: str, what: str, reason: str) -> PolicyViolation:
        return PolicyViolation(f"{self.service} argument {word!r} ({what}): {reason}")

    def candidates(self, value: str, whole_word: bool) -> list[str]:
        """The absolute paths ``value`` may stand for in the service's working directory."""
        if whole_word and (value == "~" or value.startswith("~/")):
            return [os.path.expanduser(value)]  # rhl-launch-service expands these words
        if value.startswith("/"):
            return [value]
        found = [os.path.join(self.workdir, value)]
        if value.startswith("~"):
            expanded = os.path.expanduser(value)
            if os.path.isabs(expanded):
                found.append(expanded)  # in case the service expands it itself
        return found

    def use(self, word: str, what: str, path: str, kind: str, resolved: str | None = None) -> None:
        """Check one use of one absolute path against the policy and the state directory."""
        try:
            real = evaluate(self.policy, path, kind, HELPER, resolved=resolved)
        except PolicyViolation as exc:
            raise self.refuse(word, what, exc.reason) from None
        if _is_within(real, self.state_real):
            raise self.refuse(word, what, f"path is inside the launcher's state directory: {path}")
        self.checked.append((path, kind, real))

    def value(self, word: str, value: str, kind: str, whole_word: bool) -> None:
        """Check ``value`` (``word`` as sent) as an argument of ``kind``."""
        what = _DESCRIPTIONS[kind]
        if kind == PLAIN:
            if names_a_path(value):
                raise self.refuse(word, what, "this argument takes no path")
            return
        if kind == STATE:
            self.state(word, value)
            return
        if kind == CLUSTER:
            if not dask_cluster_allowed(value, self.clusters):
                modules = " or ".join(f"{module}::NAMECluster" for module in DASK_CLUSTER_MODULES)
                allowed = f"{modules}, or one of rhl-guard --dask-clusters" if self.clusters else modules
                raise self.refuse(word, what, f"not a Dask cluster class the guard allows ({allowed})")
            return
        if kind == READDIRS:
            for part in value.split(";"):
                if part:
                    for path in self.candidates(part, whole_word and part == value):
                        self.use(word, what, path, "walk")
            return
        if not value:
            raise self.refuse(word, what, "empty path")
        for path in self.candidates(value, whole_word):
            if kind == DATADIR:
                self.use(word, what, path, "write")
            else:
                self.data_file(word, what, path)

    def data_file(self, word: str, what: str, path: str) -> None:
        name = os.path.basename(path)
        if not name or name.startswith("."):
            raise self.refuse(word, what, "not a plain file name")
        real = os.path.realpath(path)  # where the file really is, even through a symlink
        self.use(word, what, os.path.dirname(path), "write", resolved=os.path.dirname(real))

    def state(self, word: str, value: str) -> None:
        expanded = os.path.expanduser(value)  # rhl-launch-service expands --status-file values
        if not os.path.isabs(expanded):
            raise self.refuse(word, "state file", "--status-file must be absolute")
        if expanded == self.default_state or os.path.realpath(expanded) == self.own_state:
            self.checked.append((expanded, "state", self.own_state))
            return
        raise self.refuse(word, "state file", f"must be this key's own state file: {self.own_state}")

    def generic(self, word: str, value: str, whole_word: bool) -> None:
        """An undeclared argument: every path it may name is checked as written into, as a
        directory and as the directory of a file."""
        values = [value]
        if any(sep in value for sep in _LIST_SEPARATORS):
            parts = value
            for sep in _LIST_SEPARATORS:
                parts = parts.replace(sep, "\0")
            values += [part for part in parts.split("\0") if part]
        for item in values:
            if not names_a_path(item):
                continue
            for path in self.candidates(item, whole_word and item == value):
                self.use(word, "undeclared", path, "write")
                parent = os.path.dirname(os.path.normpath(path))
                if parent != path:
                    self.use(word, "undeclared", parent, "write")


def _declared(ctx: _Context, spec: ServiceArguments, args: list[str]) -> None:
    index = 0
    positional = 0
    options_done = False
    seen: set[str] = set()
    while index < len(args):
        word = args[index]
        index += 1
        if not options_done and word == "--":
            options_done = True
            continue
        if not options_done and word.startswith("-") and word != "-":
            name, equals, inline = word.partition("=") if word.startswith("--") else (word, "", "")
            entry = spec.options.get(name)
            if entry is None:
                known = ", ".join(sorted(spec.options))
                raise PolicyViolation(
                    f"{spec.name} option {name!r} is not one the guard knows exactly "
                    f"(write options in full; known: {known})"
                )
            if name in seen:
                raise PolicyViolation(f"{spec.name} option {name!r} given more than once")
            seen.add(name)
            kind, count = entry
            if kind == FLAG:
                if equals:
                    raise PolicyViolation(f"{spec.name} option {name!r} takes no value")
                continue
            if equals:
                if count != 1:
                    raise PolicyViolation(f"{spec.name} option {name!r} takes {count} values, not '='")
                ctx.value(word, inline, kind, whole_word=False)
                continue
            values = args[index : index + count]
            if len(values) < count or any(v.startswith("-") for v in values):
                raise PolicyViolation(f"{spec.name} option {name!r} requires {count} value(s)")
            index += count
            for value in values:
                ctx.value(value, value, kind, whole_word=True)
            continue
        if positional >= len(spec.positionals):
            raise PolicyViolation(f"{spec.name}: unexpected argument {word!r}")
        ctx.value(word, word, spec.positionals[positional], whole_word=True)
        positional += 1


def _generic(ctx: _Context, args: list[str]) -> None:
    index = 0
    while index < len(args):
        word = args[index]
        index += 1
        if word == "--status-file":
            if index >= len(args):
                raise PolicyViolation("--status-file requires a value")
            ctx.state(args[index], args[index])
            index += 1
        elif word.startswith("--status-file="):
            ctx.state(word, word.partition("=")[2])
        elif word.startswith("--") and "=" in word:
            ctx.generic(word, word.partition("=")[2], whole_word=False)
        elif word.startswith("-") and word != "-" and names_a_path(word):
            raise ctx.refuse(word, "undeclared", "cannot tell where a path starts in this option")
        else:
            ctx.generic(word, word, whole_word=True)


def check_service_argv(
    argv: list[str],
    *,
    key: str,
    workdir: str,
    state_base: str,
    policy: PathPolicy,
    clusters: tuple[str, ...] = (),
) -> list[tuple[str, str, str]]:
    """Check a service command line (``argv[0]`` the service); ``[(path, use, resolved)]``.

    ``workdir`` is the resolved workdir (the service's working directory), ``state_base`` the
    launcher's state directory, ``clusters`` the administrator's extra Dask cluster strings
    (``rhl-guard --dask-clusters``). Raises :class:`PolicyViolation` with a one-line reason.
    """
    if not argv:
        return []
    service = argv[0]
    ctx = _Context(service, key, workdir, state_base, policy, clusters)
    spec = SERVICES.get(service)
    if spec is not None:
        _declared(ctx, spec, argv[1:])
    else:
        _generic(ctx, argv[1:])
    return ctx.checked
