"""The first step of every launch: is there a connection file that still answers?

Most launcher runs find their service alive (Seamless calls the launcher for every service on
every start), and the check needs only the key, where the connection files live and what to
ask the service (handshake target, port field, whether 2xx is required). Parsing YAML and
evaluating templates costs more than the whole check, so after a full run the launcher
records those few facts in a small cache next to the connection files (:func:`remember`),
keyed by the config file's real path and stat signature, *and* by the command-line logging
overrides it ran with (they change the configuration's level, log files and warnings). A hit
(:func:`lookup`) gives a :class:`Plan` that the launch sequence (:mod:`.sequence`) checks
before PyYAML is ever imported; the sequence loads the configuration only if the check fails.

Any doubt (no entry, a changed file, other overrides, an unreadable entry) is a miss: the
configuration is parsed first, exactly as without a cache. This module imports only
``binascii`` and ``os``, and reads and writes JSON through the C codec (:mod:`..jsontext`,
:func:`..state.loads_strict`): ``import json`` (with ``re`` and ``enum``) costs more than a
cold launch's whole remaining work in this process. :mod:`..transport` only for a pre-connect.
"""

from __future__ import annotations

import binascii
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .config import Configuration

CACHE_DIR = ".config-cache"


class Plan:
    """What the launch sequence needs to know about a configuration before it is parsed.

    ``target``/``port_name``/``strict``: the liveness probe of a connection file
    (:func:`.client_check.check_probe`). ``load`` returns the full configuration (parsing it
    on first use); ``warnings`` are the configuration's warnings, shown before the check.
    """

    __slots__ = (
        "_config",
        "_load",
        "debug_log_file",
        "key",
        "launch_args",
        "level",
        "local_facts",
        "log_file",
        "port_name",
        "ssh_target",
        "strict",
        "target",
        "warnings",
    )

    def __init__(
        self,
        key: str,
        *,
        target: str = "/",
        port_name: str | None = None,
        strict: bool = False,
        warnings: list[str] | None = None,
        ssh_target: str | None = None,
        level: str = "basic",
        log_file: str | None = None,
        debug_log_file: str | None = None,
        load: Callable[[], Configuration] | None = None,
        config: Configuration | None = None,
        launch_args: list[str] | None = None,
        local_facts: dict[str, Any] | None = None,
    ) -> None:
        self.key = key
        #: The evaluated ``rhl-launch-service --await`` arguments of a local launch, cached
        #: for this very file content and environment (:func:`launch_environment`), and
        #: what the connection payload takes from the configuration (:data:`LOCAL_FACTS`):
        #: with both, a local launch needs no YAML at all (:func:`.sequence.run`).
        self.launch_args = launch_args
        self.local_facts = local_facts
        self.target = target
        self.port_name = port_name
        self.strict = strict
        self.warnings = list(warnings or ())
        self.ssh_target = ssh_target
        self.level = level
        self.log_file = log_file
        self.debug_log_file = debug_log_file
        self._load = load
        self._config = config

    @classmethod
    def of(cls, config: Configuration) -> Plan:
        """The plan of a configuration that is parsed already."""
        from .client_check import target_of

        handshake = config.handshake
        return cls(
            config.key,
            target=target_of(handshake),
            port_name=handshake.port_name if handshake is not None else None,
            strict=handshake is not None,
            warnings=config.warnings,
            ssh_target=config.ssh_target if config.is_remote else None,
            level=config.log_level,
            log_file=config.log_file,
            debug_log_file=config.debug_log_file,
            config=config,
        )

    @property
    def loaded(self) -> bool:
        """Whether the full configuration is known already (parsed, or given)."""
        return self._config is not None

    def configuration(self) -> Configuration:
        if self._config is None:
            assert self._load is not None
            self._config = self._load()
        return self._config

    def entry(self) -> dict[str, Any]:
        """What :func:`remember` records of this plan."""
        return {
            "key": self.key,
            "target": self.target,
            "port_name": self.port_name,
            "handshake": self.strict,
            "warnings": self.warnings,
            "ssh_target": self.ssh_target,
            "level": self.level,
            "log_file": self.log_file,
            "debug_log_file": self.debug_log_file,
        }


def client_dir(connection_dir: str | None) -> str:
    """``--connection-dir`` (``~`` expanded), else the client side of the state layout."""
    if connection_dir:
        return os.path.abspath(os.path.expanduser(connection_dir))
    from ..paths import client_dir as default_client_dir

    return default_client_dir()


def signature(path: str) -> list[int] | None:
    """The config file's (device, inode, size, mtime_ns), or None if it cannot be stat'ed."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]


#: The configuration fields a local connection payload is built from (besides the probe).
LOCAL_FACTS = ("hostname", "network_interface", "ssh_hostname", "meta")


def local_facts(config: Configuration) -> dict[str, Any]:
    return {name: getattr(config, name) for name in LOCAL_FACTS}


def content_checksum(path: str) -> int | None:
    """CRC-32 of the config file's bytes (read, not parsed), or None if it cannot be read:
    cached launch arguments are used only for the very content they were evaluated from,
    whatever its stat says (an edit that kept size and mtime)."""
    from ..state import read_regular_bytes

    try:  # a FIFO named as the configuration: no checksum (load_yaml says why), never a wait
        return binascii.crc32(read_regular_bytes(path, follow_symlinks=True))
    except (OSError, ValueError):
        return None


def launch_environment(idle_timeout: float) -> int:
    """A checksum of what, besides the config file and the logging overrides, goes into the
    evaluated launch arguments: the whole environment (state layout, ``HOME``, the size that
    ``limits`` checks), the working directory and ``--idle-timeout``. Cached arguments are
    used only when it is unchanged."""
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = ""
    text = "\0".join(f"{name}={value}" for name, value in sorted(os.environ.items()))
    return binascii.crc32(f"{cwd}\0{idle_timeout!r}\0{text}".encode(errors="surrogateescape"))


def cache_path(directory: str, config_path: str) -> tuple[str, str]:
    real = os.path.realpath(config_path)
    name = f"{binascii.crc32(real.encode()):08x}.json"
    return os.path.join(directory, CACHE_DIR, name), real


def lookup(
    directory: str,
    config_path: str,
    sig: list[int],
    overrides: list[str | None],
    load: Callable[[], Configuration],
    idle_timeout: float | None = None,
    content: int | None = None,
) -> Plan | None:
    """The cached plan of ``config_path`` if its entry matches the file and ``overrides``;
    else None. The entry's ``ssh_target`` gets a pre-connect only once the sequence needs it."""
    try:
        from ..state import loads_strict, read_regular_bytes

        entry_path, real = cache_path(directory, config_path)
        entry = loads_strict(read_regular_bytes(entry_path))
        if entry.get("path") != real or entry.get("signature") != sig or entry.get("overrides") != overrides:
            return None
        ssh_target = entry.get("ssh_target")
        launch = entry.get("launch")
        launch_args = facts = None
        if (
            idle_timeout is not None
            and content is not None
            and ssh_target is None
            and isinstance(launch, dict)
            and launch.get("content") == content
            and launch.get("environment") == launch_environment(idle_timeout)
            and isinstance(launch.get("args"), list)
            and launch["args"]
            and all(isinstance(arg, str) for arg in launch["args"])
            and isinstance(launch.get("facts"), dict)
            and _facts_valid(launch["facts"])
        ):
            launch_args, facts = list(launch["args"]), dict(launch["facts"])
        files = [entry["log_file"], entry["debug_log_file"]]
        if entry["level"] not in ("minimal", "basic", "debug") or any(
            f is not None and not isinstance(f, str) for f in files
        ):
            return None
        return Plan(
            str(entry["key"]),
            target=str(entry["target"]),
            port_name=entry["port_name"] if isinstance(entry["port_name"], str) else None,
            strict=bool(entry["handshake"]),
            warnings=[str(w) for w in entry["warnings"]],
            ssh_target=ssh_target if isinstance(ssh_target, str) else None,
            level=entry["level"],
            log_file=files[0],
            debug_log_file=files[1],
            load=load,
            launch_args=launch_args,
            local_facts=facts,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _facts_valid(facts: dict[str, Any]) -> bool:
    if sorted(facts) != sorted(LOCAL_FACTS) or not (facts["meta"] is None or isinstance(facts["meta"], dict)):
        return False
    return all(facts[name] is None or isinstance(facts[name], str) for name in LOCAL_FACTS if name != "meta")


def remember(
    directory: str,
    config_path: str,
    sig: list[int],
    overrides: list[str | None],
    plan: Plan,
    launch: tuple[list[str], int, int, dict[str, Any]] | None = None,
) -> None:
    """Record ``plan`` for this config file (best effort, atomic); ``launch``: the evaluated
    local launch arguments, the :func:`launch_environment` and :func:`content_checksum`
    they were evaluated for, and the configuration's :func:`local_facts`.

    ``sig`` is the file's signature taken *before* it was parsed, so an edit made meanwhile
    makes the entry miss instead of answering for the old content."""
    from .. import jsontext, paths, state

    try:
        path, real = cache_path(directory, config_path)
        paths.ensure_private_dir(os.path.dirname(path))
        record = {"path": real, "signature": sig, "overrides": overrides, **plan.entry()}
        if launch is not None:
            args, environment, content, facts = launch
            record["launch"] = {"args": args, "environment": environment, "content": content, "facts": facts}
        state.write_atomic(path, jsontext.dumps(record).encode(), 0o600)
    except (OSError, ValueError):  # ValueError: a NaN in the facts (never read back)
        pass


def preconnect(host: str) -> None:
    """Start the SSH master connection to ``host`` now, while the configuration is still being
    parsed: the config last seen at this path launched there. The executor waits for this one
    instead of opening its own (``transport.start_master`` / ``await_master``)."""
    from ..transport import start_master

    start_master(host)
