"""The built-in path-policy plugin: ``data-roots``, ``seamless``, ``marker``, ``permissive``.

It is an ordinary plugin (a ``register_path_policies`` hook implementation), registered first
in every plugin manager, so its names are taken before any third-party plugin registers.
:func:`.names.builtin_factory` resolves the same names without pluggy: a built-in name (the
common case, on every guarded call of a path helper) does not need the plugin manager, and
since built-in names cannot be registered twice, the answer is the same.
"""

from __future__ import annotations

from . import data_roots, markers
from .base import BUILTIN_SUMMARIES
from .hookspecs import RegisterPolicy, hookimpl


@hookimpl
def register_path_policies(register: RegisterPolicy) -> None:
    register("data-roots", data_roots.factory, summary=BUILTIN_SUMMARIES["data-roots"])
    register("seamless", markers.seamless_factory, summary=BUILTIN_SUMMARIES["seamless"])
    register("marker", markers.marker_factory, summary=BUILTIN_SUMMARIES["marker"])
    register("permissive", markers.permissive_factory, summary=BUILTIN_SUMMARIES["permissive"])
