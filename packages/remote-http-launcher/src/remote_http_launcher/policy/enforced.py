"""The guard's path policy, re-applied by the helpers themselves at use time.

rhl-guard checks every path before it runs a helper, but a path can change between that
check and its use (a directory replaced by a symlink). So rhl-guard also hands its policy to
the helper in :data:`ENV_POLICY` (set by the guard itself, overriding anything inherited), and
the three path helpers re-check at the moment of use:

* ``rhl-clear`` checks the directory it has *opened*, by its descriptor's real location
  (:func:`clear_verifier`), so what is checked is what is emptied;
* ``rhl-ps-persistent`` re-checks its roots and reports (and descends into) only directories
  the policy allows (:func:`walk_filter`);
* ``rhl-launch-service`` re-checks its workdir and then uses the resolved path
  (:func:`recheck_workdir`).

Outside the guard (:data:`ENV_POLICY` unset) every function here is a no-op and nothing else
is imported. Inside the guard the policy object built by the guard is reused (same process);
a helper started any other way rebuilds it from the spec.
"""

from __future__ import annotations

import os

from ..errors import RhlError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .base import PathPolicy

#: Set by rhl-guard to the policy spec (``data-roots:/f``, ``seamless``, ``NAME:ARG``), or to
#: :data:`NO_POLICY` when the guard has none (then the path helpers refuse to work).
ENV_POLICY = "RHL_GUARD_POLICY"
NO_POLICY = "none"

_cache: dict[str, PathPolicy] = {}


#: Called as ``(helper, raw, kind, reason)`` when a path is refused at use time: the guard
#: installs its auditor here (this module never imports the guard: no import cycle).
_on_refusal: list[Callable[[str, str, str, str], None]] = []


def install(
    spec: str | None,
    policy: PathPolicy | None,
    on_refusal: Callable[[str, str, str, str], None] | None = None,
) -> None:
    """Called by rhl-guard before it runs a helper: publish its policy spec, cache the policy
    object when the guard has built it (for a path helper), so it is not built twice, and
    keep ``on_refusal`` (the guard's audit of a use-time refusal)."""
    if on_refusal is not None:
        _on_refusal[:] = [on_refusal]
    if spec is None:
        os.environ[ENV_POLICY] = NO_POLICY
        return
    os.environ[ENV_POLICY] = spec
    if policy is not None:
        _cache[spec] = policy


def current() -> PathPolicy | None:
    """The active guard policy, or None when not running under rhl-guard."""
    spec = os.environ.get(ENV_POLICY)
    if not spec:
        return None
    if spec == NO_POLICY:
        raise RhlError("rhl-guard has no path policy configured: path operations are refused")
    policy = _cache.get(spec)
    if policy is None:
        from .base import PolicyConfigError
        from .names import build

        try:
            policy = build(spec)
        except PolicyConfigError as exc:
            raise RhlError(f"rhl-guard path policy unavailable: {exc.message}") from None
        _cache[spec] = policy
    return policy


def _refuse(helper: str, raw: str, kind: str, reason: str) -> RhlError:
    if _on_refusal:
        try:
            _on_refusal[0](helper, raw, kind, reason)  # the guard's audit record
        except Exception:  # noqa: BLE001, S110 - auditing must never turn a refusal into a crash
            pass
    return RhlError(f"refused by the rhl-guard path policy: {reason}")


def require(
    raw: str, kind: str, helper: str, *, dir_fd: int | None = None, resolved: str | None = None
) -> str:
    """Check one path use against the active policy; return its resolved form.

    Raises :class:`RhlError` when refused. Without an active policy returns ``raw`` unchanged.
    """
    policy = current()
    if policy is None:
        return raw
    from .base import PolicyViolation, evaluate

    try:
        return evaluate(policy, raw, kind, helper, dir_fd=dir_fd, resolved=resolved)
    except PolicyViolation as exc:
        raise _refuse(helper, raw, kind, exc.reason) from None


def recheck_workdir(workdir: str) -> str:
    """rhl-launch-service: under the guard, re-check and return the resolved workdir."""
    if not os.environ.get(ENV_POLICY):
        return workdir
    return require(workdir, "workdir", "rhl-launch-service")


def fd_location(fd: int) -> str | None:
    """Where an open directory really is now (Linux ``/proc/self/fd``), or None if unknown."""
    try:
        location = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None
    return location if location.startswith("/") else None


def clear_verifier() -> Callable[[int, str], None] | None:
    """rhl-clear: a check of the opened directory (descriptor, validated path), or None."""
    if not os.environ.get(ENV_POLICY):
        return None
    current()  # fail early (before opening anything) if the policy cannot be built

    def verify(fd: int, path: str) -> None:
        location = fd_location(fd)
        if location is None or location.endswith(" (deleted)"):
            location = path
        require(location, "clear", "rhl-clear", dir_fd=fd, resolved=location)

    return verify


def walk_filter() -> Callable[[str, str], bool] | None:
    """rhl-ps-persistent: ``allowed(path, kind)`` for ``walk``/``report``, or None."""
    if not os.environ.get(ENV_POLICY):
        return None
    policy = current()
    if policy is None:  # pragma: no cover - ENV_POLICY is set here
        return None
    from .base import PolicyViolation, evaluate

    def allowed(path: str, kind: str) -> bool:
        try:
            evaluate(policy, path, kind, "rhl-ps-persistent")
        except PolicyViolation:
            return False
        return True

    return allowed
