"""The pluggy hook specification for path-policy plugins.

A plugin is a module (or any object) with a function decorated with :data:`hookimpl` named
like a hook below; it is made known to remote-http-launcher by an entry point in the group
``remote_http_launcher.path_policies``::

    [project.entry-points."remote_http_launcher.path_policies"]
    tenant-roots = "tenant_policy"

    # tenant_policy.py
    from remote_http_launcher.policy import PathPolicy, PolicyViolation, hookimpl

    @hookimpl
    def register_path_policies(register):
        register("tenant", TenantPolicy.from_argument, summary="...")

This module imports pluggy; nothing on a helper's normal path imports it.
"""

from __future__ import annotations

from typing import Protocol

import pluggy

from .base import PathPolicy

#: The pluggy project name: plugins mark their hook functions with ``hookimpl`` from here
#: (also importable as ``remote_http_launcher.policy.hookimpl``).
PROJECT = "remote_http_launcher"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class PolicyFactory(Protocol):
    """Builds a policy from the text after ``NAME:`` (``None`` when there is none)."""

    def __call__(self, argument: str | None, /) -> PathPolicy: ...


class RegisterPolicy(Protocol):
    """The ``register`` callable handed to :func:`register_path_policies`."""

    def __call__(self, name: str, factory: PolicyFactory, *, summary: str = "") -> None: ...


@hookspec
def register_path_policies(register: RegisterPolicy) -> None:
    """Register path policies by calling ``register(name, factory, summary=...)``.

    ``name`` selects the policy in ``rhl-guard --policy NAME[:ARG]``: lowercase letters,
    digits and ``-``, starting with a letter, unique across all plugins (the built-in names
    ``data-roots``, ``seamless``, ``marker`` and ``permissive`` are taken). ``factory`` is
    called with ARG (or ``None``) when rhl-guard, or a helper re-checking at use time, needs
    the policy; it returns a :class:`~remote_http_launcher.policy.PathPolicy` or raises
    :class:`~remote_http_launcher.policy.PolicyConfigError` with a one-line message.
    ``summary`` is shown by ``rhl-guard --list-policies``.
    """
