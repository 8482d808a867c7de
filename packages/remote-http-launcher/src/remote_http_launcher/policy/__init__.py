"""Path policies: which directories rhl-guard lets the path helpers touch.

Three helpers take paths chosen by the SSH client: ``rhl-clear`` (a directory to empty),
``rhl-ps-persistent`` (directories to walk and report) and ``rhl-launch-service`` (its
``--workdir``, and the paths of the service's own command line: :mod:`.service_args`).
A *path policy* decides, for each such path and each use (:data:`KINDS`), whether it is
allowed. Policies are pluggy plugins: a plugin implements the hook
``register_path_policies(register)`` (see :mod:`.hookspecs`) and registers named factories;
the built-in ``data-roots``, ``seamless``, ``marker`` and ``permissive`` policies are
registered by the built-in plugin :mod:`.builtin`, third-party ones come from the entry-point
group ``remote_http_launcher.path_policies``. docs/guard/policy-plugins.md is the author's
guide.

Whatever the policy, the always-on rules of :func:`.base.evaluate` apply first; a policy can
only narrow what they allow.

This package is imported by helpers on every call, so it stays light: its exports are
resolved lazily, and pluggy is imported only when a plugin registry is really needed.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .base import KINDS, PathPolicy, PathRequest, PolicyConfigError, PolicyViolation
    from .hookspecs import hookimpl

__all__ = [
    "KINDS",
    "PathPolicy",
    "PathRequest",
    "PolicyConfigError",
    "PolicyViolation",
    "hookimpl",
]


def __getattr__(name: str) -> Any:
    """Exports are loaded on first use: helpers import :mod:`.enforced` from this package on
    every call, and ``hookimpl`` needs pluggy."""
    if name == "hookimpl":
        from .hookspecs import hookimpl

        return hookimpl
    if name in __all__:
        from . import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
