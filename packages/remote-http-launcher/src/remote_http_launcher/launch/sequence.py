"""The launch sequence: reuse a connection file, or bring the service up and write one.

1. *Local check* (first, for every launch): a connection file that passes the liveness rule of
   :mod:`.client_check` is returned as it is (``reused-local``); one marked ``stale`` or
   failing the check is removed, with its tunnel. It needs only a :class:`.reuse.Plan` (key and
   probe), which the launcher's command line takes from its cache without parsing YAML; the
   full configuration is loaded only when this step does not answer.
2. Under the client-side launch lock of the key (so N launchers on this machine end with one
   tunnel and one answer), the *target* does the rest in one helper call:
   ``rhl-launch-service --await`` reuses a running service, waits for a starting one or
   launches a fresh one, and returns its state once it answers. Servers with only
   remote-http-launcher 0.4.5's helpers get the same decisions step by step
   (:mod:`.compat`).
3. A tunnel if configured, then the client-side check, and only then the connection file is
   written (atomically, mode 0600).

Every step reports through one :class:`.progress.Observer`; :func:`launch` prints a failure
through it too.
"""

from __future__ import annotations

import os

from .. import jsontext, paths, state
from . import client_check, compat
from .compat import launch_arguments
from .errors import LauncherError, LaunchFailed
from .reuse import Plan
from .reuse import client_dir as client_dir_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .config import Configuration
    from .executors import Executor, HelperResult
    from .progress import Observer

__all__ = ["LaunchFailed", "Plan", "execute", "launch", "launch_arguments", "run"]

CLIENT_CHECK_BUDGET = 10.0


def client_launch_lock(client_dir: str, key: str) -> state.file_lock:
    """Per-key lock on the client side, held while a launcher works on the key."""
    return state.file_lock(state.lock_path(client_dir, key, ".launch"))


def local_check(client_file: str, plan: Plan, client_dir: str, observer: Observer) -> Any:
    """The connection file's content if it can be reused, else None (after cleaning it up)."""
    read = state.read_state(client_file)
    if read.missing:
        observer.phase("local_check", "missing")
        return None
    if read.corrupt or read.data is None:
        observer.phase("local_check", "malformed")
        observer.detail(f"malformed connection file {client_file}: {read.error}")
        return None
    payload = read.data
    if payload.get("status") == "stale":
        problem: str | None = "marked stale"
    else:
        problem = client_check.check_probe(payload, plan.target, plan.port_name, plan.strict)
    if problem is None and payload:
        observer.phase("local_check", "reused")
        return payload
    observer.phase("local_check", "stale")
    observer.detail(f"connection file not reusable: {problem}")
    state.remove_file(client_file)
    from . import tunnel

    tunnel.stop(client_dir, plan.key)
    return None


def make_executor(config: Configuration, *, in_process: bool = False) -> Executor:
    """Where the helpers of this launch run (``in_process``: see :class:`.executors.LocalExecutor`)."""
    from .executors import LocalExecutor, SSHExecutor

    if config.is_remote:
        assert config.ssh_target is not None
        return SSHExecutor(config.ssh_target)
    return LocalExecutor(in_process=in_process)


#: Seconds without any sign of progress (state file and log unchanged) before a start fails.
DEFAULT_IDLE_TIMEOUT = 60.0


def await_arguments(
    config: Configuration, executor: Executor, idle_timeout: float = DEFAULT_IDLE_TIMEOUT
) -> list[str]:
    args = [*launch_arguments(config), "--await", "--progress", "--idle-timeout", f"{idle_timeout:g}"]
    if config.handshake is not None:
        args += ["--handshake", client_check.target_of(config.handshake)]
        if config.handshake.port_name:
            args += ["--handshake-port-name", config.handshake.port_name]
    return [*args, "--", *config.command_argv(executor.status_file(config.key))]


def _json_line(result: HelperResult) -> dict[str, Any] | None:
    for line in reversed(result.stdout.splitlines()):
        if line.startswith("{"):
            try:  # json's C scanner without importing json (re, enum): jsontext
                value = state.loads_strict(line)
            except ValueError:
                return None
            return value if isinstance(value, dict) else None
    return None


def remote_ensure(
    executor: Executor, config: Configuration, observer: Observer, idle_timeout: float = DEFAULT_IDLE_TIMEOUT
) -> tuple[dict[str, Any], str, bool]:
    """The running service's server state, the outcome, and whether the target has our helpers."""
    args = await_arguments(config, executor, idle_timeout)
    observer.command(executor.name, ["rhl-launch-service", *args])
    result = executor.call("rhl-launch-service", args, on_line=observer.remote_event)
    if result.rc == 2 and "unrecognized arguments" in result.stderr:
        observer.detail(f"{executor.name} has remote-http-launcher 0.4.5 helpers: step-by-step launch")
        data, outcome = compat.ensure(executor, config, observer, idle_timeout)
        return data, outcome, False
    data, outcome = _answer(result, executor, config.key)
    return data, outcome, True


def _answer(result: HelperResult, executor: Executor, key: str) -> tuple[dict[str, Any], str]:
    """The server state and outcome that ``rhl-launch-service --await`` answered."""
    answer = _json_line(result)
    if result.rc == 3 and answer is not None:
        raise LaunchFailed(
            f"service {key} did not become ready on {compat.where(executor)}: {answer.get('reason')}",
            str(answer.get("log_tail") or ""),
        )
    if result.rc != 0 or answer is None or not isinstance(answer.get("state"), dict):
        raise LauncherError(
            f"rhl-launch-service failed on {compat.where(executor)}: {result.last_error_line()}"
        )
    outcome = "launched" if answer.get("outcome") == "launched" else "reused-remote"
    return answer["state"], outcome


def cached_local_ensure(plan: Plan, executor: Executor, observer: Observer) -> tuple[dict[str, Any], str]:
    """:func:`remote_ensure` for a local launch from the plan's cached arguments, evaluated
    from this very file content in this very environment (:func:`.reuse.lookup`): the
    configuration is never parsed."""
    args = list(plan.launch_args or ())
    observer.command(executor.name, ["rhl-launch-service", *args])
    result = executor.call("rhl-launch-service", args, on_line=observer.remote_event)
    return _answer(result, executor, plan.key)


def _port(value: Any) -> int | None:
    try:
        port = int(value)
    except (TypeError, ValueError):
        return None
    return port if not isinstance(value, bool) and 1 <= port <= 65535 else None


def extra_ports(data: dict[str, Any]) -> dict[str, int]:
    extras = {}
    for name, value in data.items():
        if name != "port" and (name.endswith("_port") or name.endswith("-port")):
            port = _port(value)
            if port is not None:
                extras[name] = port
    return extras


def build_payload(
    config: Configuration, data: dict[str, Any], local_ports: dict[str, int] | None
) -> dict[str, Any]:
    """The connection file content (field for field as remote-http-launcher 0.4.5 wrote it)."""
    if local_ports is None:
        from .reuse import local_facts

        return local_payload(local_facts(config), data)
    port = _port(data.get("port"))
    if port is None:
        raise LauncherError("the server state has no valid port")
    interface = data.get("network_interface") if isinstance(data.get("network_interface"), str) else None
    payload: dict[str, Any] = {
        "hostname": "localhost",
        "port": local_ports["port"],
        "tunneled-host": config.ssh_target,
        "tunneled-port": port,
        "tunneled-network-interface": interface or config.network_interface,
    }
    for name, remote in extra_ports(data).items():
        payload[name] = local_ports[name]
        payload[f"tunneled-{name}"] = remote
    if isinstance(data.get("parameters"), dict):
        payload["parameters"] = data["parameters"]
    if config.meta is not None:
        payload["meta"] = config.meta
    return payload


def local_payload(facts: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """:func:`build_payload` without a tunnel, from the configuration's
    :func:`.reuse.local_facts` (which a cached plan keeps)."""
    port = _port(data.get("port"))
    if port is None:
        raise LauncherError("the server state has no valid port")
    interface = data.get("network_interface") if isinstance(data.get("network_interface"), str) else None
    hostname, ssh_hostname = facts["hostname"], facts["ssh_hostname"]
    payload: dict[str, Any] = {"hostname": hostname or interface or facts["network_interface"], "port": port}
    payload.update(extra_ports(data))
    if hostname and ssh_hostname and ssh_hostname != hostname:
        payload["ssh_hostname"] = ssh_hostname
    if isinstance(data.get("parameters"), dict):
        payload["parameters"] = data["parameters"]
    if facts["meta"] is not None:
        payload["meta"] = facts["meta"]
    return payload


def forward_host(data: dict[str, Any], config: Configuration) -> str:
    """Where the tunnel's far end connects, as seen from the SSH host: the interface the
    service bound (a wildcard bind is reached on loopback), not the client's hostname."""
    from ..netcheck import reachable_host

    interface = data.get("network_interface")
    return reachable_host(interface if isinstance(interface, str) and interface else config.network_interface)


def open_tunnel(
    config: Configuration, data: dict[str, Any], client_dir: str, modern: bool, observer: Observer
) -> dict[str, int]:
    from . import tunnel

    assert config.ssh_target is not None
    host = forward_host(data, config)
    forwards = [("port", host, int(data["port"]))]
    forwards += [(name, host, port) for name, port in extra_ports(data).items()]
    pid = int(data.get("pid") or 0)
    tunnel.stop(client_dir, config.key)
    ports = tunnel.start(
        key=config.key,
        client_dir=client_dir,
        ssh_host=config.ssh_target,
        forwards=forwards,
        remote_pid=pid,
        wait_helper=modern,
    )
    observer.phase("tunnel_setup", f"localhost:{ports['port']} -> {host}:{data['port']}")
    return ports


def execute(
    config: Configuration,
    *,
    connection_dir: str | os.PathLike[str] | None = None,
    observer: Observer,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
) -> dict[str, Any]:
    """:func:`run` for a configuration that is parsed already."""
    return run(Plan.of(config), connection_dir=connection_dir, observer=observer, idle_timeout=idle_timeout)


def verified_here(executor: Executor, plan: Plan, payload: dict[str, Any], data: dict[str, Any]) -> bool:
    """Whether the launch helper has just made the client check itself: it ran on this machine
    (``rhl-launch-service --await`` answers only once its service accepts connections and
    answers the handshake), asked the same host and port the payload names, and the
    handshake is configured (without one the helper only connects, the client check also
    wants an HTTP answer). Then asking again would only repeat the same request."""
    from ..netcheck import reachable_host

    return (
        not executor.remote
        and plan.strict
        and payload.get("hostname") == reachable_host(data.get("network_interface"))
        and payload.get(plan.port_name or "port") == data.get(plan.port_name or "port")
    )


def run(
    plan: Plan,
    *,
    connection_dir: str | os.PathLike[str] | None = None,
    observer: Observer,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    in_process: bool = False,
) -> dict[str, Any]:
    """The whole sequence for ``plan``; the connection payload (exceptions: see :func:`launch`).
    ``in_process``: run a local launch helper in this process (the launcher's command line)."""
    client_dir = client_dir_of(None if connection_dir is None else os.fspath(connection_dir))
    client_file = os.path.join(client_dir, plan.key + ".json")
    reused = local_check(client_file, plan, client_dir, observer)
    if reused is not None:
        observer.finish("reused-local")
        return dict(reused)
    if plan.ssh_target is not None and not plan.loaded:
        # The config last seen at this path launched there: connect while the YAML is parsed.
        from .reuse import preconnect

        preconnect(plan.ssh_target)
    # A local launch with cached arguments and payload facts needs no YAML at all.
    cached = in_process and plan.launch_args is not None and plan.local_facts is not None
    config = None if cached and plan.ssh_target is None and not plan.loaded else plan.configuration()
    try:
        paths.ensure_private_dir(client_dir)
    except OSError as exc:
        raise LauncherError(f"cannot use connection directory {client_dir}: {exc.strerror or exc}") from None
    with client_launch_lock(client_dir, plan.key):
        # Another launcher of this key may have finished while we waited for the lock.
        if os.path.exists(client_file):
            reused = local_check(client_file, plan, client_dir, observer)
            if reused is not None:
                observer.finish("reused-local")
                return dict(reused)
        local_ports = None
        if config is None:
            from .executors import LocalExecutor

            executor: Executor = LocalExecutor(in_process=True)
            observer.phase("connect", executor.name)
            data, outcome = cached_local_ensure(plan, executor, observer)
            assert plan.local_facts is not None
            payload = local_payload(plan.local_facts, data)
        else:
            executor = make_executor(config, in_process=in_process)
            observer.phase("connect", executor.name)
            data, outcome, modern = remote_ensure(executor, config, observer, idle_timeout)
            local_ports = open_tunnel(config, data, client_dir, modern, observer) if config.tunnel else None
            payload = build_payload(config, data, local_ports)
        problem = None
        if not verified_here(executor, plan, payload, data):
            problem = client_check.probe_with_retries(
                payload, plan.target, plan.port_name, plan.strict, CLIENT_CHECK_BUDGET
            )
        if problem is not None:
            if local_ports is not None:
                from . import tunnel

                tunnel.stop(client_dir, plan.key)
            raise LauncherError(
                f"service {plan.key} runs on {executor.name} but does not answer from this machine: {problem}"
            )
        observer.phase("local_validate", "ok")
        try:
            # json.dumps(payload) to the byte (0.4.5's format), without importing json
            state.write_atomic(client_file, jsontext.dumps(payload, sort_keys=False).encode(), 0o600)
        except (OSError, ValueError) as exc:  # ValueError: NaN, which no reader would accept
            raise LauncherError(
                f"cannot write connection file {client_file}: {getattr(exc, 'strerror', None) or exc}"
            ) from None
    observer.finish(outcome)
    return payload


def launch(
    plan: Plan,
    *,
    connection_dir: str | os.PathLike[str] | None = None,
    observer: Observer,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    in_process: bool = False,
) -> dict[str, Any]:
    """:func:`run` with every failure shown through ``observer`` (then re-raised): a
    :class:`LauncherError` (the service's log tail for :class:`LaunchFailed`) or an interrupt.
    The observer is closed afterwards."""
    try:
        for warning in plan.warnings:
            observer.detail(f"warning: {warning}")
        return run(
            plan,
            connection_dir=connection_dir,
            observer=observer,
            idle_timeout=idle_timeout,
            in_process=in_process,
        )
    except LaunchFailed as exc:
        observer.error(exc.message, exc.log_tail)
        raise
    except LauncherError as exc:
        observer.error(exc.message)
        raise
    except KeyboardInterrupt:
        observer.error("interrupted")
        raise
    finally:
        observer.close()


def dry_run_command(config: Configuration) -> str:
    """The evaluated command, as the target would run it; nothing is written anywhere."""
    from .executors import LocalExecutor, SSHExecutor

    executor: Executor = SSHExecutor(config.ssh_target or "") if config.is_remote else LocalExecutor()
    return config.command_string(executor.status_file(config.key))
