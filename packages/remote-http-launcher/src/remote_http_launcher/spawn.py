"""``rhl-launch-service``: start one whitelisted service, fully detached, exactly once per key.

Differences from remote-http-launcher 0.4.5, each closing one of its weak points:

* The per-key lock is held from the liveness check to the state write, so N concurrent
  launches of one key start one process; the others report the one that runs.
* The state file is written *before* the service executes: the child is forked, waits on a
  pipe while the parent records its PID and identity (start time, boot id, process group),
  and only then ``exec``s. A service never has to poll for its status file.
* The service gets its own session and process group, stdin from ``/dev/null`` and no
  inherited descriptors but the service lock, so an SSH session never hangs on it and a
  stop reaches its workers.
* The previous log is kept as ``<key>.log.1`` instead of being truncated away.
* ``--status-file`` arguments must name this key's own state file.
* A small *supervisor* (a fork of this process, in its own session, outside the service's
  process group) is the service's parent: it sees the exit status and records it in the
  state file (:mod:`.exits`), so a service that exits on its own says why.
* The service and its supervisor inherit the *service lock* (:mod:`.servicelock`): a
  service whose state file was deleted is still found, and never started a second time.
"""

from __future__ import annotations

import os
import sys
import time

from . import jsontext, paths, process, state
from .errors import RhlError

TYPE_CHECKING = False  # typing costs milliseconds at start-up; mypy still reads this block
if TYPE_CHECKING:
    from typing import Any

#: Service binaries that may be launched, unless ``RHL_TOOLS_YAML`` names another list.
DEFAULT_WHITELIST = ("hashserver", "seamless-database", "seamless-jobserver", "seamless-dask-wrapper")
ENV_TOOLS_YAML = "RHL_TOOLS_YAML"


#: The server side's cache directory (next to the state files, like the launcher's plan cache
#: ``<connection dir>/.config-cache``): a dot name, so no listing of state files sees it.
CACHE_DIR = ".config-cache"
#: The format of a whitelist cache entry; any other value is a miss (and is rewritten).
WHITELIST_CACHE_FORMAT = "rhl-tools-whitelist/1"


def load_whitelist() -> tuple[str, ...]:
    """The whitelisted binary names: the first word of each tool's ``command_template``.

    With ``RHL_TOOLS_YAML`` the file is read on every call (its exact bytes decide), but
    PyYAML (7.5 ms of imports on every launch) only runs when those bytes differ from the
    ones of the last successful parse, kept in a per-user cache (:func:`_cached_whitelist`).
    """
    tools_file = os.environ.get(ENV_TOOLS_YAML)
    if not tools_file:
        return DEFAULT_WHITELIST
    from .state import NotRegularFile, read_regular_bytes

    path = os.path.expanduser(tools_file)
    try:
        # Never blocks: a FIFO or a device named by RHL_TOOLS_YAML is an error at once.
        text = read_regular_bytes(path, follow_symlinks=True).decode("utf-8")
    except NotRegularFile as exc:
        raise RhlError(f"could not load tools.yaml: {exc.strerror}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RhlError(f"could not load tools.yaml: {exc}") from None
    entry = _whitelist_cache_path(path)
    names = _cached_whitelist(entry, path, text)
    if names is None:
        names = parse_whitelist(text, path)
        if set(names) <= template_heads(text):  # else the entry could never be trusted
            _remember_whitelist(entry, path, text, names)
    return names


def parse_whitelist(text: str, path: str = "tools.yaml") -> tuple[str, ...]:
    """The whitelist of a tools file's text, parsed with PyYAML (the one authority).
    A syntax error is one line: the file, where, and PyYAML's problem."""
    import yaml  # only when a custom tools file is configured and not in the cache

    from .yamlload import load

    try:
        tools = load(text, pure=True)  # a tool named twice is an error, not the last one
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None)
        if mark is not None and problem:
            where = f"{path}: line {mark.line + 1}, column {mark.column + 1}"
            raise RhlError(f"could not load tools.yaml: {where}: {problem}") from None
        reason = " ".join(str(exc).split())
        raise RhlError(f"could not load tools.yaml: {path}: {reason}") from None
    if not isinstance(tools, dict) or not tools:
        raise RhlError("tools.yaml must contain a non-empty mapping")
    names = []
    for name, tool in tools.items():
        if not isinstance(tool, dict):
            raise RhlError(f"malformed tool definition for {name!r}")
        template = tool.get("command_template")
        if not isinstance(template, str):
            raise RhlError(f"malformed command_template for {name!r}")
        head = template.split("{", 1)[0].strip()
        if not head:
            raise RhlError(f"empty command_template for {name!r}")
        names.append(head.split()[0])
    return tuple(names)


_HEAD_END = frozenset(" \t\r\n\"'{},#")


def template_heads(text: str) -> set[str]:
    """Every word that the text of a tools file writes right after a ``command_template:``
    key (optionally quoted), found without parsing YAML.

    An upper bound that a cached whitelist must stay within: a cache entry someone edited
    can name only binaries that the tools file itself names there, never ``bash``. A name
    this scan does not see (a YAML escape, an alias) only makes the cache unusable for
    that file: it is parsed on every launch, as without a cache.
    """
    heads = set()
    start = 0
    size = len(text)
    while (found := text.find("command_template", start)) >= 0:
        start = at = found + len("command_template")
        if text[at : at + 1] in ("'", '"'):
            at += 1  # the end of a quoted key
        while text[at : at + 1] in (" ", "\t"):
            at += 1
        if text[at : at + 1] != ":":
            continue
        at += 1
        while text[at : at + 1] in (" ", "\t"):
            at += 1
        if text[at : at + 1] in ("'", '"'):
            at += 1
        while text[at : at + 1] in (" ", "\t"):
            at += 1
        end = at
        while end < size and text[end] not in _HEAD_END:
            end += 1
        if end > at:
            heads.add(text[at:end])
    return heads


def _whitelist_cache_path(tools_path: str) -> str:
    import binascii

    name = f"tools-{binascii.crc32(tools_path.encode(errors='surrogateescape')):08x}.json"
    return os.path.join(paths.server_dir(), CACHE_DIR, name)


def _cached_whitelist(entry_path: str, tools_path: str, text: str) -> tuple[str, ...] | None:
    """The whitelist recorded for exactly ``text``, or None (a miss) for any doubt.

    The entry holds the tools file's whole text, and is used only when that text is equal,
    character for character, to what was just read (a checksum could collide, a stat
    signature misses an edit that keeps size and mtime). It must be a regular file of ours
    that nobody else can write, in the current format, with names that
    :func:`template_heads` finds in the text; anything else is a miss, and the entry is
    parsed afresh and rewritten, never trusted.
    """
    fd = -1
    try:
        fd = state.open_regular(entry_path)
        st = os.fstat(fd)
        if st.st_uid != os.geteuid() or st.st_mode & 0o022:
            return None
        entry = state.loads_strict(state.read_fd(fd))
    except (OSError, ValueError):
        return None
    finally:
        if fd >= 0:
            os.close(fd)
    if (
        not isinstance(entry, dict)
        or entry.get("format") != WHITELIST_CACHE_FORMAT
        or entry.get("path") != tools_path
        or entry.get("text") != text
    ):
        return None
    names = entry.get("names")
    if not isinstance(names, list) or not names:
        return None
    heads = None
    for name in names:
        if not isinstance(name, str) or not name or len(name.split()) != 1 or name.split()[0] != name:
            return None
        if heads is None:
            heads = template_heads(text)
        if name not in heads:
            return None
    return tuple(names)


def _remember_whitelist(entry_path: str, tools_path: str, text: str, names: tuple[str, ...]) -> None:
    """Record the whitelist parsed from ``text`` (atomically; best effort: a cache that cannot
    be written only costs the next launch a parse)."""
    from .jsontext import dumps

    record = {"format": WHITELIST_CACHE_FORMAT, "path": tools_path, "text": text, "names": list(names)}
    try:
        state.write_atomic(entry_path, dumps(record).encode(), 0o600)
    except (OSError, ValueError):
        pass


def parse_json_object(flag: str, raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:  # strict: no NaN/Infinity, no nesting that a reader of the state file cannot follow
        value = state.loads_strict(raw, max_depth=state.MAX_STORED_DEPTH)
    except ValueError as exc:
        raise RhlError(f"{flag} must be valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise RhlError(f"{flag} must be a JSON object")
    return value


def _default_layout_state(key: str) -> str:
    return os.path.join(os.path.expanduser(paths.DEFAULT_BASE_DIR), "server", key + ".json")


def _expand_service_args(key: str, args: list[str]) -> list[str]:
    """Expand ``~`` words and check that every ``--status-file`` names this key's state file."""
    own = os.path.realpath(paths.state_path(key))
    expanded: list[str] = []
    expect_status = False
    for arg in args:
        if arg == "~" or arg.startswith("~/"):
            arg = os.path.expanduser(arg)
        value = None
        if expect_status:
            value, expect_status = arg, False
        elif arg == "--status-file":
            expect_status = True
        elif arg.startswith("--status-file="):
            head, _, tail = arg.partition("=")
            tail = os.path.expanduser(tail)
            arg, value = f"{head}={tail}", tail
        if value is not None:
            if not os.path.isabs(value):
                raise RhlError("--status-file must be absolute")
            if os.path.realpath(value) != own and value == _default_layout_state(key):
                # A launcher that computed the default path (0.4.5 always does) while this
                # server uses REMOTE_HTTP_LAUNCHER_DIR: the server's own layout wins.
                arg = own if arg == value else f"--status-file={own}"
                value = own
            if os.path.realpath(value) != own:
                raise RhlError(f"--status-file must be this key's state file: {own}")
        expanded.append(arg)
    if expect_status:
        raise RhlError("--status-file requires a value")
    return expanded


def _conda_argv(env_name: str, argv: list[str]) -> list[str]:
    """``argv`` inside conda environment ``env_name``; the cache is refreshed once if it does
    not know the environment (see :mod:`.conda`). Checked before the log is touched."""
    from . import conda

    return conda.activation_argv(env_name, argv)


def _rotate_log(log: str) -> None:
    try:
        if os.path.getsize(log) > 0:
            os.replace(log, log + ".1")
    except OSError:
        pass


def _restore_signals() -> None:  # pragma: no cover - runs in the service before exec
    """Python ignores SIGPIPE and SIGXFSZ; an exec'd service must get the defaults back."""
    if TYPE_CHECKING:
        import signal
    else:  # the C module: ``signal`` builds enums (``enum``, ``functools``: milliseconds)
        import _signal as signal

    for name in ("SIGPIPE", "SIGXFSZ"):
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, signal.SIG_DFL)


def _close_fds_except(keep: list[int]) -> None:  # pragma: no cover - runs in forked children
    low = 3
    for fd in sorted(k for k in keep if k >= 3):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 1 << 16)


def _spawn(
    argv: list[str],
    workdir: str,
    log: str,
    on_forked: Any,
    supervise: Any = None,
    lock_fds: list[int] | None = None,
) -> tuple[int, int]:
    """Start ``argv`` detached, under a supervisor; exec only after ``on_forked(pid)`` returned.

    Two forks: the *supervisor* (its own session, stdio on /dev/null) forks the *service*,
    which starts its own session and process group (``pgid == pid``, what the state records
    and ``rhl-stop`` signals), waits for the go-ahead, and execs. The supervisor then runs
    ``supervise(pid)`` -- it waits for the service and records its exit -- and ends. Both
    inherit ``lock_fds`` (the service lock) and nothing else besides the service's 0, 1, 2.
    Returns (service PID, supervisor PID); the supervisor is the caller's child.
    """
    # Before the fork: the supervisor imports nothing after it. The C module: ``signal``
    # only adds enums, and importing ``enum`` costs a cold launch milliseconds.
    if TYPE_CHECKING:
        import signal
    else:
        import _signal as signal

    keep = list(lock_fds or [])
    go_read, go_write = os.pipe()
    ready_read, ready_write = os.pipe()
    err_read, err_write = os.pipe2(os.O_CLOEXEC)
    log_fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    supervisor = os.fork()
    if supervisor == 0:  # pragma: no cover - runs in the supervisor
        try:
            os.setsid()
            os.close(go_write)
            os.close(err_read)
            os.close(ready_read)
            pid = os.fork()
            if pid == 0:  # the service
                os.setsid()
                os.write(ready_write, str(os.getpid()).encode())  # our own session and group exist now
                os.close(ready_write)
                if not os.read(go_read, 1):
                    os._exit(0)  # the launcher failed to record us: never run unrecorded
                os.chdir(workdir)
                null = os.open(os.devnull, os.O_RDONLY)
                os.dup2(null, 0)
                os.dup2(log_fd, 1)
                os.dup2(log_fd, 2)
                _close_fds_except([err_write, *keep])
                for fd in keep:
                    os.set_inheritable(fd, True)
                _restore_signals()
                os.execvp(argv[0], argv)
            info = process.read_process(pid)  # our child: its PID cannot be reused before we reap it
            os.close(ready_write)
            os.close(go_read)
            os.close(err_write)
            os.close(log_fd)
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            _close_fds_except(keep)
            # Not in the service's group, but a terminal's ^C or a hang-up must not cut the
            # record short either (the service itself kept the default dispositions).
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            if supervise is not None and info is not None:
                supervise(pid, info.start_ticks, keep)
            else:
                os.waitpid(pid, 0)
            os._exit(0)
        except BaseException as exc:  # noqa: BLE001
            try:
                os.write(err_write, f"{type(exc).__name__}: {exc}".encode()[:4000])
            finally:
                os._exit(127)
    os.close(go_read)
    os.close(err_write)
    os.close(log_fd)
    os.close(ready_write)
    try:
        raw = b""
        while chunk := os.read(ready_read, 64):
            raw += chunk
        os.close(ready_read)
        if not raw.isdigit():
            raise RhlError(f"could not start {argv[0]!r}: the supervisor did not start the service")
        pid = int(raw)
        on_forked(pid)
    except BaseException:
        os.close(go_write)  # the child sees EOF and exits without running anything
        os.close(err_read)
        raise
    os.write(go_write, b"x")
    os.close(go_write)
    chunks = []
    while True:
        chunk = os.read(err_read, 4096)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(err_read)
    if chunks:
        raise RhlError(f"could not start {argv[0]!r}: {b''.join(chunks).decode(errors='replace')}")
    return pid, supervisor


class LaunchRequest:
    """What to launch (a plain class: ``dataclasses`` costs milliseconds on every SSH call)."""

    def __init__(
        self,
        key: str,
        workdir: str,
        argv: list[str],
        conda_env: str | None = None,
        network_interface: str | None = None,
        parameters: dict[str, Any] | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.key = key
        self.workdir = workdir
        self.argv = argv
        self.conda_env = conda_env
        self.network_interface = network_interface
        self.parameters = parameters
        self.meta = meta


class LaunchResult:
    """What :func:`launch` did."""

    def __init__(self, key: str, launched: bool, pid: int, status: str, state_file: str) -> None:
        self.key = key
        self.launched = launched
        self.pid = pid
        self.status = status
        self.state_file = state_file
        #: The supervisor we forked (our child) when ``launched``; not part of the JSON.
        self.supervisor_pid: int | None = None

    def as_json(self) -> str:
        return jsontext.dumps(  # json.dumps(..., sort_keys=True) to the byte
            {
                "key": self.key,
                "launched": self.launched,
                "pid": self.pid,
                "status": self.status,
                "state_file": self.state_file,
            },
            sort_keys=True,
        )


def _untracked_error(key: str, owner: dict[str, Any], other: str | None = None) -> RhlError:
    pid = owner.get("pid")
    holder = f"pid {pid}" if isinstance(pid, int) and not isinstance(pid, bool) else "pid unknown"
    if other is None:
        return RhlError(
            f"{key}: not launched: a service of this key is still running ({holder}) but its state "
            f"file is missing (untracked); stop it with 'rhl-stop {key}' first"
        )
    return RhlError(
        f"{key}: not launched: workdir {owner.get('workdir')} is in use by the untracked service "
        f"{other} ({holder}), whose state file is missing; stop it with 'rhl-stop {other}' first"
    )


def _leftover_error(key: str, data: dict[str, Any], members: list[int] | None = None) -> RhlError:
    from . import servicelock

    pids = " ".join(str(pid) for pid in (members or servicelock.holders(key))) or "unknown"
    return RhlError(
        f"{key}: not launched: processes of the previous service of this key still run "
        f"(pids {pids}, process group {data.get('pgid')}); stop them with 'rhl-stop {key}' first"
    )


def launch(request: LaunchRequest) -> LaunchResult:
    """Start the service unless a live one already holds the key (checked under the key lock).

    Also refused, before anything is touched: a key whose service still holds its service
    lock although its state file is gone (untracked, see :mod:`.servicelock`), a workdir in
    use by such an untracked service of another key, and a key whose previous service left
    processes in its group."""
    from . import exits, servicelock

    key = paths.validate_key(request.key)
    if not request.argv:
        raise RhlError("service binary is required after --")
    workdir = paths.validate_workdir(request.workdir)
    from .policy.enforced import recheck_workdir  # rhl-guard's policy, re-checked at use time

    workdir = recheck_workdir(workdir)  # unchanged unless run by rhl-guard
    binary = request.argv[0]
    if binary not in load_whitelist():
        raise RhlError(f"service binary is not whitelisted: {binary!r}")
    service_argv = [binary, *_expand_service_args(key, request.argv[1:])]
    exec_argv = _conda_argv(request.conda_env, service_argv) if request.conda_env else service_argv
    server = paths.server_dir()
    paths.ensure_private_dir(server)
    state_file = paths.state_path(key)
    log = paths.log_path(key)
    workdir_real = servicelock.real_workdir(workdir)
    with state.key_lock(key):
        existing = state.read_state(state_file)
        if existing.data is not None and existing.data.get("status") in ("starting", "running"):
            live = process.check_state_process(existing.data, existing)
            if live.alive and live.pid is not None:
                return LaunchResult(key, False, live.pid, str(existing.data["status"]), state_file)
        if existing.data is not None:
            verdict = process.check_state_process(existing.data, existing)
            members = process.leftovers(existing.data, verdict)  # a crashed leader's workers
            if members:
                raise _leftover_error(key, existing.data, sorted(m.pid for m in members))
        lock_fd = servicelock.acquire(key)
        if lock_fd is None:
            if existing.missing:
                raise _untracked_error(key, servicelock.probe(key) or {})
            raise _leftover_error(key, existing.data or {})
        try:
            holder = servicelock.workdir_holder(
                workdir_real, key, lambda other: not os.path.exists(paths.state_path(other))
            )
            if holder is not None:
                raise _untracked_error(key, holder[1], holder[0])
            try:
                os.makedirs(workdir, exist_ok=True)
            except OSError as exc:
                raise RhlError(f"could not create workdir {workdir}: {exc.strerror}") from None
            _rotate_log(log)
            from .commands._words import join

            command = join(service_argv)  # the state file's shell line (shlex.join's text)

            def record(pid: int) -> None:
                identity = process.capture_identity(pid)
                data: dict[str, Any] = {
                    "workdir": request.workdir,
                    "log": log,
                    "command": command,
                    "uid": os.getuid(),
                    "status": "starting",
                    "launched_at": round(time.time(), 3),
                    **identity,
                }
                if request.network_interface is not None:
                    data["network_interface"] = request.network_interface
                if request.parameters is not None:
                    data["parameters"] = request.parameters
                if request.meta is not None:
                    data["meta"] = request.meta
                if request.conda_env:
                    data["conda_env"] = request.conda_env
                servicelock.write_owner(lock_fd, {"key": key, "workdir": workdir_real, **identity})
                state.write_state(state_file, data)

            def supervise(pid: int, start_ticks: int, lock_fds: list[int]) -> None:
                exits.supervise(key, pid, start_ticks, service_argv, lock_fds)

            try:
                pid, supervisor = _spawn(exec_argv, workdir, log, record, supervise, [lock_fd])
            except RhlError:

                def failed(data: dict[str, Any]) -> dict[str, Any]:
                    data["status"] = "failed"
                    return data

                state.update_state_unlocked(state_file, failed)
                raise
        finally:
            os.close(lock_fd)  # the service and its supervisor hold it now
    result = LaunchResult(key, True, pid, "starting", state_file)
    result.supervisor_pid = supervisor
    return result
