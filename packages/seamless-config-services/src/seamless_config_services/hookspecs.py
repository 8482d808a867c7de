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

The markers mark functions exactly as pluggy's ``HookspecMarker``/``HookimplMarker`` for the
project ``seamless_config_services`` do (the attribute ``seamless_config_services_impl``
holding the same options), so a plugin marked with pluggy's own marker works too; the
plugin manager (:mod:`.plugins`) reads them without importing pluggy, which (with typing and
inspect) cost more than the rest of a ``seamless-service-resolve``.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Protocol, TypeVar

    from .schedulers.base import Scheduler
    from .services.base import ServiceType

    _F = TypeVar("_F", bound=Callable[..., Any])
else:
    Protocol = object

PROJECT = "seamless_config_services"


class HookspecMarker:
    """``@hookspec``: declares a hook (what pluggy's ``HookspecMarker`` sets)."""

    def __init__(self, project_name: str) -> None:
        self.project_name = project_name

    def __call__(self, function: _F) -> _F:
        options = {"firstresult": False, "historic": False, "warn_on_impl": None, "warn_on_impl_args": None}
        setattr(function, self.project_name + "_spec", options)
        return function


class HookimplMarker:
    """``@hookimpl`` or ``@hookimpl(specname=...)``: marks a plugin's hook function with the
    options pluggy's ``HookimplMarker`` sets (``wrapper``, ``hookwrapper``, ``optionalhook``,
    ``tryfirst``, ``trylast``, ``specname``)."""

    def __init__(self, project_name: str) -> None:
        self.project_name = project_name

    def __call__(
        self,
        function: _F | None = None,
        hookwrapper: bool = False,
        optionalhook: bool = False,
        tryfirst: bool = False,
        trylast: bool = False,
        specname: str | None = None,
        wrapper: bool = False,
    ) -> Any:
        options = {
            "wrapper": wrapper,
            "hookwrapper": hookwrapper,
            "optionalhook": optionalhook,
            "tryfirst": tryfirst,
            "trylast": trylast,
            "specname": specname,
        }

        def mark(marked: _F) -> _F:
            setattr(marked, self.project_name + "_impl", dict(options))
            return marked

        return mark if function is None else mark(function)


hookspec = HookspecMarker(PROJECT)
hookimpl = HookimplMarker(PROJECT)


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
