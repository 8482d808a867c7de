"""rhl-launch-service: start one whitelisted service, detached, once per key.

The command body, free of click: the fast path and the click command both call run()."""

from __future__ import annotations

from .. import spawn
from ..cli._out import out


def run(
    key: str,
    workdir: str,
    conda_env: str | None,
    network_interface: str | None,
    parameters: str | None,
    meta: str | None,
    service_argv: tuple[str, ...],
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
    out(spawn.launch(request).as_json() + "\n")
    return 0
