"""The pluggy hook specifications of seamless-config-services.

A plugin is a module with functions decorated with :data:`hookimpl`, named like a hook
below, made known by an entry point in the group ``seamless_config_services``::

    [project.entry-points.seamless_config_services]
    myservice = "my_package.plugin"

    # my_package/plugin.py
    from seamless_config_services import hookimpl

    @hookimpl
    def register_service_types(register):
        register(MyServiceType())

    @hookimpl
    def register_schedulers(register):
        register(MyScheduler())

Every hook has a page in docs/ (a test fails otherwise).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import pluggy

if TYPE_CHECKING:
    from .schedulers.base import Scheduler
    from .services.base import ServiceType

PROJECT = "seamless_config_services"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class RegisterServiceType(Protocol):
    """The ``register`` callable handed to :func:`register_service_types`."""

    def __call__(self, service_type: ServiceType, /) -> None: ...


@hookspec
def register_service_types(register: RegisterServiceType) -> None:
    """Register service types by calling ``register(instance)`` once per type."""


class RegisterScheduler(Protocol):
    """The ``register`` callable handed to :func:`register_schedulers`."""

    def __call__(self, scheduler: Scheduler, /) -> None: ...


@hookspec
def register_schedulers(register: RegisterScheduler) -> None:
    """Register schedulers (cluster ``type`` values) by calling ``register(instance)`` once
    per :class:`~seamless_config_services.schedulers.Scheduler`."""
