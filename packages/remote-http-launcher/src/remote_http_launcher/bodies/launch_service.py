"""rhl-launch-service: start one whitelisted service, detached, once per key.

The command body: the runner (``commands``) calls run() with the parsed values."""

from __future__ import annotations

from .. import spawn
from ..errors import UsageProblem
from ..output import out


def run(
    key: str,
    workdir: str,
    conda_env: str | None,
    network_interface: str | None,
    parameters: str | None,
    meta: str | None,
    service_argv: tuple[str, ...],
    await_ready: bool = False,
    handshake: str | None = None,
    handshake_port_name: str | None = None,
    idle_timeout: float = 60.0,
    timeout: float | None = None,
    progress: bool = False,
) -> int:
    request = spawn.LaunchRequest(
        key=key,
        workdir=workdir,
        argv=list(service_argv),
        conda_env=conda_env,
        network_interface=network_interface,
        parameters=spawn.parse_json_object("--parameters", parameters),
        meta=spawn.parse_json_object("--meta", meta),
    )
    if not await_ready:
        if handshake or handshake_port_name or timeout is not None or progress:
            raise UsageProblem("--handshake, --handshake-port-name, --timeout and --progress need --await")
        out(spawn.launch(request).as_json() + "\n")
        return 0
    from .. import awaiting

    options = awaiting.AwaitOptions(
        handshake=handshake,
        port_name=handshake_port_name,
        idle_timeout=idle_timeout,
        timeout=timeout,
        progress=progress,
    )
    try:
        result = awaiting.ensure(request, options)
    except awaiting.NotReady as exc:
        out(awaiting.dumps(awaiting.failure_result(exc)) + "\n")
        raise
    out(awaiting.dumps(result) + "\n")
    return 0
