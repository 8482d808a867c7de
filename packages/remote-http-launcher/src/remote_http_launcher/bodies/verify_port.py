"""rhl-verify-port: TCP connect test.

The command body: the runner (``commands``) calls run() with the parsed values.

``--key KEY`` takes host and port from KEY's server state file instead of the command line, so
that a client can ask it before it has read the state (the doctor's one batch per host: the
call is known from the configuration, the port only from the state). What it checks is what a
client derives from the state's ``rhl-ps`` row; its answer is then exactly the HOST PORT form's.
"""

from __future__ import annotations

import os

from .. import netcheck
from ..errors import RhlError, UsageProblem

#: ``--key``: the state file names nothing to check (missing, corrupt, not running, no port).
EXIT_NOTHING = 3
#: ``--key`` under rhl-guard: the host the state names is not this machine (what the guard
#: answers for such a HOST on the command line).
EXIT_REJECTED = 77
LIVE = ("running", "starting")

TYPE_CHECKING = False  # typing costs milliseconds at start-up; mypy still reads this block
if TYPE_CHECKING:
    from typing import Any


def state_target(key: str, port_name: str | None = None) -> tuple[str, int]:
    """(host, port) of KEY's service from its server state file (read strictly, as
    ``rhl-inspect`` does): status running or starting, ``port_name`` (default ``port``) an
    integer in 1..65535, the host where a client reaches a service bound to the state's
    ``network_interface`` (:func:`..netcheck.reachable_host`). Raises :class:`RhlError` with
    :data:`EXIT_NOTHING` otherwise.

    Under rhl-guard (its policy variable is set by the guard itself, for every helper it runs)
    the host must be this machine, checked here at use time: the guard cannot see a host that
    is only in a file, and it refuses a non-local HOST on the command line."""
    from .. import paths, state

    read = state.read_state(paths.state_path(key))
    if read.missing:
        raise RhlError(f"no state file for {key!r}", EXIT_NOTHING)
    if read.data is None:
        raise RhlError(f"corrupt state file for {key!r}: {read.error}", EXIT_NOTHING)
    data = read.data
    status = data.get("status")
    if status not in LIVE:
        raise RhlError(f"{key!r} has no running service (its state says {status!r})", EXIT_NOTHING)
    name = port_name or "port"
    port = data.get(name)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise RhlError(f"the state of {key!r} has no valid {name!r}", EXIT_NOTHING)
    interface = data.get("network_interface")
    host = netcheck.reachable_host(interface if isinstance(interface, str) else None)
    from ..policy.enforced import ENV_POLICY

    if os.environ.get(ENV_POLICY):
        from ..guard._netlocal import check_local_host

        reason = check_local_host(host)
        if reason is not None:
            raise RhlError(f"refused by rhl-guard: {reason}", EXIT_REJECTED)
    return host, port


def _extra(words: tuple[str, ...]) -> str:
    return f"Got unexpected extra argument{'s' if len(words) > 1 else ''} ({' '.join(words)})."


def usage_problem(values: dict[str, Any]) -> str | None:
    """The usage error in the parsed values of rhl-verify-port (``address``: HOST PORT) or
    rhl-handshake (``url``) that the table cannot express: the positional form or ``--key``,
    not both, not neither (``--path``/``--port-name`` only with ``--key``). One definition for
    the bodies and for rhl-guard, which refuses what they would refuse."""
    key = values.get("key")
    if "url" in values:
        url: tuple[str, ...] = values["url"]
        if key is not None:
            return "--key and URL exclude each other" if url else None
        if values.get("path") is not None or values.get("port_name") is not None:
            return "--path and --port-name need --key"
        if not url:
            return "Missing argument 'URL'."
        return _extra(url[1:]) if len(url) > 1 else None
    address: tuple[str, ...] = values["address"]
    if key is not None:
        return "--key and HOST PORT exclude each other" if address else None
    if len(address) < 2:
        return f"Missing argument '{'PORT' if address else 'HOST'}'."
    return _extra(address[2:]) if len(address) > 2 else None


def run(address: tuple[str, ...], key: str | None, attempts: int, timeout: float) -> int:
    problem = usage_problem({"address": address, "key": key})
    if problem is not None:
        raise UsageProblem(problem)
    if key is not None:
        name, number = state_target(key)
    else:
        name, number = netcheck.validate_host(address[0]), netcheck.parse_port(address[1])
    netcheck.verify_port(name, number, attempts=attempts, timeout=timeout)
    return 0
