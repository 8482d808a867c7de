"""The launcher configuration: a YAML file or a mapping, validated into a :class:`Configuration`.

Compatible with remote-http-launcher 0.4.5: the same fields, the same template semantics for
``key`` and ``command`` (Seamless generates these configurations and reads ``.key`` back), the
same messages and the same validation order. Differences, all deliberate:

* every error is a :class:`ConfigError` naming the field, one line, never a traceback;
* mistakes 0.4.5 found only after launching are found here: ``tunnel: true`` without
  ``hostname``, a relative or system ``workdir``, a key the helpers refuse, a command template
  that cannot parse;
* templates run in a restricted evaluator (:mod:`.templates`), not ``eval``;
* ``ssh_hostname: null`` means "not given" (0.4.5 then failed at launch time).

Import cost matters (Seamless builds a ``Configuration`` just to learn the key), so this module
avoids ``dataclasses`` and imports ``yaml``, ``shlex`` and ``urllib`` only where needed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from .. import paths
from ..errors import InvalidKey
from . import hosts, templates
from .errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

#: Keys that configure the launcher's own output; templates never see them.
LOGGING_KEYS = ("log_level", "log_file", "debug_log_file")
LOG_LEVELS = ("minimal", "basic", "debug")
DEFAULT_LOG_LEVEL = "basic"
DEFAULT_NETWORK_INTERFACE = "localhost"
#: Every field the launcher interprets (anything else is a template variable).
FIELDS = (
    "workdir",
    "key",
    "command",
    "hostname",
    "ssh_hostname",
    "network_interface",
    "tunnel",
    "handshake",
    "conda",
    "file_parameters",
    "meta",
    *LOGGING_KEYS,
)
#: Characters 0.4.5 allowed in a workdir (the shell and the guard rely on this set).
WORKDIR_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@_./~-")
#: Hosts for which a service bound to the loopback interface is reachable by clients.
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "ip6-localhost"})
#: Characters left as they are in a handshake path (RFC 3986 pchar, '/', and '%' escapes).
_URL_PATH_SAFE = "/%:@!$&'()*+,;=-._~"


def schema_path() -> str:
    """Path of the JSON schema (draft 2020-12) of this configuration, for editors."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "config.schema.json")


def _fail(field: str | None, message: str) -> NoReturn:
    # ``from None``: the message says everything; a chained OSError or YAMLError would only
    # add a second traceback for whoever prints one.
    raise ConfigError(field, message) from None


class Handshake:
    """Where the launcher checks that a service answers: ``GET http://HOST:PORT/<path>?<query>``.

    Read-only. ``port_name`` names the state-file field that holds the port to check
    (``dashboard_port`` for Dask) instead of ``port``.
    """

    __slots__ = ("parameters", "path", "port_name")

    path: str
    parameters: dict[str, str]
    port_name: str | None

    def __init__(
        self, path: str = "", parameters: dict[str, str] | None = None, port_name: str | None = None
    ) -> None:
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "parameters", dict(parameters or {}))
        object.__setattr__(self, "port_name", port_name)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Handshake is read-only (cannot set {name!r})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Handshake):
            return NotImplemented
        return (self.path, self.parameters, self.port_name) == (other.path, other.parameters, other.port_name)

    __hash__ = None  # type: ignore[assignment]  # parameters is a dict

    def __repr__(self) -> str:
        return f"Handshake(path={self.path!r}, parameters={self.parameters!r}, port_name={self.port_name!r})"

    @staticmethod
    def from_value(value: Any) -> Handshake | None:
        """Parse the ``handshake`` field: absent/None, a path string, or a mapping."""
        if value is None:
            return None
        if isinstance(value, str):
            return Handshake(path=value)
        if not isinstance(value, dict):
            _fail("handshake", "handshake must be a string path or a mapping with path and parameters.")
        path = value.get("path", "")
        if not isinstance(path, str):
            _fail("handshake.path", "handshake.path must be a string.")
        raw_parameters = value.get("parameters", {})
        if not isinstance(raw_parameters, dict):
            _fail("handshake.parameters", "handshake.parameters must be a mapping.")
        parameters: dict[str, str] = {}
        for name, item in raw_parameters.items():
            if not isinstance(name, str) or not isinstance(item, (str, int, float)):
                _fail("handshake.parameters", "handshake parameters must map strings to simple values.")
            parameters[name] = str(item)
        port_name = value.get("port_name")
        if port_name is not None and not isinstance(port_name, str):
            _fail("handshake.port_name", "handshake.port_name must be a string.")
        return Handshake(path=path, parameters=parameters, port_name=port_name)

    def url(self, host: str, port: int) -> str:
        """The handshake URL for a service at ``host:port``.

        A query in ``path`` is merged with ``parameters`` (parameters win), the path gets a
        leading ``/``, IPv6 hosts are bracketed and characters a URL path cannot hold are
        percent-encoded (0.4.5 did neither).
        """
        from urllib.parse import parse_qsl, quote, urlencode, urlsplit

        path = self.path
        query: dict[str, str] = {}
        if path:
            split = urlsplit(path)
            path = split.path
            if split.query:
                query.update(parse_qsl(split.query, keep_blank_values=True))
        query.update(self.parameters)
        if path and not path.startswith("/"):
            path = "/" + path
        url = f"http://{hosts.url_authority(host, port)}{quote(path or '/', safe=_URL_PATH_SAFE)}"
        if query:
            url += "?" + urlencode(query)
        return url


def handshake_url(host: str, port: int, handshake: Handshake | None) -> str:
    """The URL to check for ``handshake`` (``http://HOST:PORT/`` when there is none)."""
    return (handshake or Handshake()).url(host, port)


class Configuration:
    """A validated launcher configuration (read-only).

    Build it with :meth:`from_mapping` or :meth:`from_yaml`. ``key`` is evaluated at once;
    the command only when asked (:meth:`command_string`), because it needs the status-file
    path of the target.
    """

    __slots__ = (
        "_namespace",
        "command_template",
        "conda",
        "debug_log_file",
        "file_parameters",
        "handshake",
        "hostname",
        "key",
        "log_file",
        "log_level",
        "mapping",
        "meta",
        "network_interface",
        "ssh_hostname",
        "tunnel",
        "warnings",
        "workdir",
    )

    workdir: str
    key: str
    command_template: str
    hostname: str | None
    ssh_hostname: str | None
    network_interface: str
    tunnel: bool
    handshake: Handshake | None
    conda: str | None
    file_parameters: dict[str, Any] | None
    meta: dict[str, Any] | None
    log_level: str
    log_file: str | None
    debug_log_file: str | None
    mapping: dict[Any, Any]
    warnings: list[str]
    _namespace: dict[str, Any]

    def __init__(self, **values: Any) -> None:
        for name in self.__slots__:
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Configuration is read-only (cannot set {name!r})")

    def __repr__(self) -> str:
        where = f"hostname={self.hostname!r}" if self.hostname else "local"
        return f"<Configuration key={self.key!r} {where} workdir={self.workdir!r}>"

    @property
    def is_remote(self) -> bool:
        """True when the service runs on ``hostname`` (reached over SSH)."""
        return self.hostname is not None

    @property
    def ssh_target(self) -> str | None:
        """The SSH destination for a remote service; ``None`` for a local one."""
        if self.hostname is None:
            return None
        return self.ssh_hostname or self.hostname

    @property
    def conda_env(self) -> str | None:
        """0.4.5's name for :attr:`conda`."""
        return self.conda

    # --- construction ---------------------------------------------------------------------

    @staticmethod
    def from_yaml(
        path: str | os.PathLike[str],
        *,
        log_level: str | None = None,
        log_file: str | None = None,
        debug_log_file: str | None = None,
    ) -> Configuration:
        """Load a YAML file. A missing or unreadable file, bad YAML or a top level that is
        not a mapping is a one-line :class:`ConfigError` (0.4.5 printed a traceback)."""
        return Configuration.from_mapping(
            load_yaml(path), log_level=log_level, log_file=log_file, debug_log_file=debug_log_file
        )

    @staticmethod
    def from_mapping(
        mapping: Any,
        *,
        log_level: str | None = None,
        log_file: str | None = None,
        debug_log_file: str | None = None,
    ) -> Configuration:
        """Validate ``mapping`` (which may contain the logging keys).

        ``log_level``/``log_file``/``debug_log_file`` override the mapping's values, as the
        command-line options do. Fields are checked in 0.4.5's order; the first problem wins.
        """
        if not isinstance(mapping, Mapping):
            _fail(None, "Configuration mapping must be a dictionary.")
        data = dict(mapping)
        level = log_level if log_level is not None else data.pop("log_level", DEFAULT_LOG_LEVEL)
        data.pop("log_level", None)
        file_value = log_file if log_file is not None else data.pop("log_file", None)
        data.pop("log_file", None)
        debug_value = debug_log_file if debug_log_file is not None else data.pop("debug_log_file", None)
        data.pop("debug_log_file", None)
        if not isinstance(level, str) or level not in LOG_LEVELS:
            _fail("log_level", "log_level must be one of: minimal, basic, debug.")
        if file_value is not None and not isinstance(file_value, str):
            _fail("log_file", "log_file must be a string when provided.")
        if debug_value is not None and not isinstance(debug_value, str):
            _fail("debug_log_file", "debug_log_file must be a string when provided.")
        return _build(data, level, file_value, debug_value)

    # --- the command ----------------------------------------------------------------------

    def command_string(self, status_file: str) -> str:
        """The evaluated command template, for a service whose status file is ``status_file``."""
        namespace = dict(self._namespace)
        namespace["key"] = self.key
        if self.meta is not None:
            namespace["meta"] = dict(self.meta)
        namespace["status_file"] = status_file
        command = templates.evaluate(self.command_template, namespace, field="command")
        if not command.strip() or "\n" in command:
            _fail("command", "The command must be a plausible bash command.")
        return command

    def command_argv(self, status_file: str) -> list[str]:
        """The evaluated command split shell-style into the service's argv (never empty)."""
        import shlex

        command = self.command_string(status_file)
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            _fail("command", f"Failed to split evaluated command: {exc}")
        if not argv or not argv[0]:
            _fail("command", "The command must include a service binary.")
        return argv


def load_yaml(path: str | os.PathLike[str]) -> dict[Any, Any]:
    """Read a YAML configuration file into a mapping, or raise a one-line ConfigError."""
    from ..state import NotRegularFile, read_regular_bytes

    name = os.fspath(path)
    try:  # never blocks: a FIFO or a device named as the configuration is an error at once
        text = read_regular_bytes(name, follow_symlinks=True).decode("utf-8")
    except FileNotFoundError:
        _fail(None, f"configuration file not found: {name}")
    except NotRegularFile:
        _fail(None, f"cannot read configuration file {name}: not a regular file")
    except UnicodeDecodeError as exc:
        _fail(None, f"cannot read configuration file {name}: not UTF-8 text (byte {exc.start})")
    except OSError as exc:
        _fail(None, f"cannot read configuration file {name}: {exc.strerror or exc}")
    import yaml

    from ..yamlload import load

    try:
        # The pure-Python loader words errors as 0.4.5 did; a key written twice is an error
        # (0.4.5 silently kept the last one).
        data = load(text, pure=True)
    except yaml.YAMLError as exc:
        _fail(None, f"invalid YAML in {name}: {_describe_yaml_error(exc)}")
    if not isinstance(data, dict):
        found = "nothing" if data is None else f"a {type(data).__name__}"
        _fail(None, f"Configuration mapping must be a dictionary ({name} holds {found}).")
    return data


def _describe_yaml_error(exc: Exception) -> str:
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if problem and mark is not None:
        return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
    return str(exc)


def _host_field(data: dict[Any, Any], field: str, message: str, default: str | None) -> str | None:
    value = data.get(field)
    if value is None:
        return default
    if not isinstance(value, str):
        _fail(field, f"{field} must be a string when provided.")
    if not hosts.is_host(value):
        _fail(field, message)
    return value


def _check_workdir(data: dict[Any, Any]) -> str:
    workdir = data.get("workdir")
    if not isinstance(workdir, str):
        _fail("workdir", "workdir must be provided and be a string.")
    if not workdir or not WORKDIR_CHARACTERS.issuperset(workdir):
        _fail("workdir", "workdir must be a plausible UNIX directory name.")
    if workdir[0] not in "/~":
        _fail("workdir", f"workdir must be an absolute path or start with ~ (got {workdir!r}).")
    if ".." in workdir.split("/"):
        _fail("workdir", f"workdir must not contain '..' (got {workdir!r}).")
    if workdir.startswith("/") and "/" + os.path.normpath(workdir).lstrip("/") in paths.SYSTEM_ROOTS:
        _fail("workdir", f"workdir must not be a system directory (got {workdir!r}).")
    return workdir


def _check_json(data: dict[Any, Any], field: str) -> dict[Any, Any] | None:
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, dict):
        _fail(field, f"{field} must be a mapping when provided.")
    import json

    try:
        json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        _fail(field, f"{field} must contain JSON-serializable values.")
    return value


def _check_key(key: str) -> None:
    """The helpers' key rule (0.4.5's character set, plus no leading '-' or '.', at most 200
    characters), checked here so that a bad key fails before anything is launched."""
    try:
        paths.validate_key(key)
        return
    except InvalidKey:
        pass
    _fail(
        "key",
        f"The key must be a plausible UNIX file name. Evaluated key: {key!r} (allowed: {paths.KEY_RULE}).",
    )


def _build(
    data: dict[Any, Any], level: str, log_file: str | None, debug_log_file: str | None
) -> Configuration:
    warnings: list[str] = []
    workdir = _check_workdir(data)
    hostname = _host_field(data, "hostname", "hostname must be an HTTP hostname or IP address.", None)
    ssh_hostname = _host_field(
        data, "ssh_hostname", "ssh_hostname must be a valid SSH hostname or IP address.", None
    )
    if ssh_hostname is not None and hostname is None:
        warnings.append("ssh_hostname is ignored because hostname is not set: the service runs locally.")
    network_interface = data.get("network_interface", DEFAULT_NETWORK_INTERFACE)
    if not isinstance(network_interface, str):
        _fail("network_interface", "network_interface must be a string.")
    if not hosts.is_host(network_interface):
        _fail("network_interface", "network_interface must be a valid HTTP hostname or IP address.")
    handshake = Handshake.from_value(data.get("handshake"))
    file_parameters = _check_json(data, "file_parameters")
    tunnel = data.get("tunnel", False)
    if not isinstance(tunnel, bool):
        _fail("tunnel", "tunnel must be a boolean when provided.")
    if tunnel and hostname is None:
        _fail(
            "tunnel",
            "tunnel is true but hostname is not set (a tunnel forwards a local port to a remote service).",
        )
    if hostname is not None and not tunnel and hostname not in _LOOPBACK and network_interface in _LOOPBACK:
        warnings.append(
            f"the service binds to {network_interface} on {hostname} and tunnel is off: clients connecting "
            f"to {hostname} will not reach it (set network_interface, or tunnel: true)."
        )

    namespace: dict[str, Any] = {
        name: value for name, value in data.items() if isinstance(name, str) and name.isidentifier()
    }
    namespace["config"] = data
    key_template = data.get("key")
    if not isinstance(key_template, str):
        _fail("key", "key must be provided and be a string.")
    key = templates.evaluate(key_template, namespace, field="key")
    _check_key(key)

    command = data.get("command")
    if not isinstance(command, str):
        _fail("command", "command must be provided and be a string.")
    templates.check(command, field="command")

    conda = data.get("conda")
    if conda is not None and not isinstance(conda, str):
        _fail("conda", "The conda field, when present, must be a string.")
    meta = _check_json(data, "meta")

    return Configuration(
        _namespace=namespace,
        command_template=command,
        conda=conda or None,
        debug_log_file=debug_log_file,
        file_parameters=file_parameters,
        handshake=handshake,
        hostname=hostname,
        key=key,
        log_file=log_file,
        log_level=level,
        mapping=data,
        meta=dict(meta) if meta is not None else None,
        network_interface=network_interface,
        ssh_hostname=ssh_hostname,
        tunnel=tunnel,
        warnings=warnings,
        workdir=workdir,
    )
