"""The guard's checks beyond the table and the parser, loaded only when a command needs them:
paths against the policy (path helpers) and hosts against this machine (network helpers). Each
returns a reason, or None when fine. (A parser refusal is worded by the parser itself:
``commands.parse``.)
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ..policy.base import PathPolicy

NO_POLICY_REASON = (
    "configure rhl-guard with one path-policy flag: --data-roots FILE, --clear-policy seamless, "
    "--clear-policy marker:NAME, --permissive-paths or --policy NAME (see docs/guard/admin-guide.md)"
)
_URL_HOST_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-:[]")


def check_paths(
    helper: str,
    values: dict[str, Any],
    policy: Callable[[], PathPolicy | None],
    state_base: str,
    clusters: tuple[str, ...] = (),
) -> tuple[str | None, list[tuple[str, str, str]]]:
    """(reason, [(raw, kind, resolved)]) for the paths a path helper will use.

    For ``rhl-launch-service`` that is the workdir and every path in the service's command
    line (:mod:`..policy.service_args`); ``state_base`` is the launcher's state directory
    (``_decide.default_state_dir`` unless ``--state-dir``), which neither may lie in; ``clusters``: the
    administrator's extra Dask cluster strings (``--dask-clusters``).
    """
    if helper == "rhl-clear":
        wanted = [(values["path"], "clear")]
    elif helper == "rhl-ps-persistent":
        wanted = [(root, "walk") for root in values["roots"]]
    else:
        wanted = [(values["workdir"], "workdir")]
    active = policy()
    if active is None:
        return NO_POLICY_REASON, []
    from ..policy.base import PolicyViolation, evaluate

    checked = []
    for raw, kind in wanted:
        try:
            checked.append((raw, kind, evaluate(active, raw, kind, helper)))
        except PolicyViolation as exc:
            return f"{helper}: {exc.reason}", []
    if helper == "rhl-launch-service":
        import os

        from ..policy.base import _is_within
        from ..policy.service_args import check_service_argv

        workdir = checked[0][2]
        if _is_within(workdir, os.path.realpath(state_base)):
            inside = f"the workdir must not lie inside the launcher's state directory: {values['workdir']}"
            return f"{helper}: {inside}", []
        try:
            checked += check_service_argv(
                list(values["service_argv"]),
                key=values["key"],
                workdir=workdir,
                state_base=state_base,
                policy=active,
                clusters=clusters,
            )
        except PolicyViolation as exc:
            return f"{helper}: {exc.reason}", []
    return None, checked


def check_network(helper: str, values: dict[str, Any]) -> str | None:
    """rhl-verify-port and rhl-handshake may only reach this machine (see _netlocal)."""
    from ..bodies.verify_port import usage_problem
    from ._netlocal import check_local_host

    problem = usage_problem(values)  # what the helper would refuse (--key or HOST PORT / URL)
    if problem is not None:
        return f"{helper}: {problem}"
    if values.get("key") is not None:
        # --key: the host is in the key's state file; the helper checks it at use time
        # (bodies.verify_port.state_target), under the guard, with this same check.
        return None
    if helper == "rhl-verify-port":
        host = values["address"][0]
    else:
        import urllib.parse  # the helper parses the URL with it too (same process: no extra cost)

        parsed = urllib.parse.urlsplit(values["url"][0])
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            return f"{helper}: URL must use http or https and include a host"
        # Only plain host[:port]: no user info, no %-escapes, so that every URL parser agrees
        # on the host (urllib.request unquotes, urlsplit does not).
        if not _URL_HOST_CHARS.issuperset(parsed.netloc):
            return f"{helper}: URL host part must be a plain host[:port]: {parsed.netloc!r}"
        host = parsed.hostname
    reason = check_local_host(host)
    return None if reason is None else f"{helper}: {reason}"
