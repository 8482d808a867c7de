"""The plugin manager: built-in plugins plus the installed ones, and the registries they fill.

Third-party plugins are the entry points of the group :data:`ENTRY_POINT_GROUP`.
:data:`ENV_PLUGINS` limits which of them load: unset loads all, an empty value loads none,
``a,b`` loads only the entry points named ``a`` and ``b``. Built-in plugins always load.
"""

from __future__ import annotations

import importlib
import os
import sys
from functools import cache
from importlib import metadata
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import pluggy

from . import hookspecs
from .errors import ConfigError

if TYPE_CHECKING:
    from .schedulers.base import Scheduler  # noqa: F401 - named in a string below
    from .services.base import ServiceType

ENTRY_POINT_GROUP = "seamless_config_services"
ENV_PLUGINS = "SEAMLESS_CONFIG_SERVICES_PLUGINS"
BUILTIN_PLUGINS = ("seamless_config_services.services.builtin", "seamless_config_services.schedulers.builtin")

T = TypeVar("T")


class Registry(Generic[T]):
    """Registered objects keyed by an id attribute, in registration order (built-ins first)."""

    #: What the objects are called in messages, and the attribute holding their id.
    kind = "object"
    id_attribute = "name"
    unknown = "unknown"

    def __init__(self) -> None:
        self.by_name: dict[str, T] = {}
        self.plugin_of: dict[str, str] = {}

    def add(self, item: T, plugin: str) -> None:
        name = getattr(item, self.id_attribute, None)
        if not isinstance(name, str) or not name:
            raise ConfigError(f"plugin {plugin!r} registered a {self.kind} without a {self.id_attribute}")
        if name in self.by_name:
            raise ConfigError(
                f"{self.kind} {name!r} is registered twice (plugins {self.plugin_of[name]!r} and {plugin!r})"
            )
        self.by_name[name] = item
        self.plugin_of[name] = plugin

    def get(self, name: str) -> T:
        found = self.by_name.get(name)
        if found is None:
            raise ConfigError(f"{self.unknown} {name!r} (known: {', '.join(self.by_name)})")
        return found

    def names(self) -> list[str]:
        return list(self.by_name)


class Schedulers(Registry["Scheduler"]):
    """Schedulers by cluster ``type``."""

    kind = "scheduler"
    id_attribute = "type"
    unknown = "unknown cluster type"


class ServiceTypes(Registry["ServiceType"]):
    """Service types by name."""

    kind = "service type"
    unknown = "unknown service"

    def sections(self) -> dict[str, list[ServiceType]]:
        """Frontend section name -> the types that read it."""
        found: dict[str, list[ServiceType]] = {}
        for service_type in self.by_name.values():
            found.setdefault(service_type.section, []).append(service_type)
        return found


def selected_entry_points() -> list[metadata.EntryPoint]:
    found = sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
    limit = os.environ.get(ENV_PLUGINS)
    if limit is None:
        return list(found)
    wanted = {name.strip() for name in limit.split(",") if name.strip()}
    return [ep for ep in found if ep.name in wanted]


@cache
def manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for module_name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    for ep in selected_entry_points():
        try:
            plugin = ep.load()
        except Exception as exc:  # noqa: BLE001 - whatever a plugin raises on import
            # A broken third-party plugin must not take the built-in services down with it:
            # one warning line, and the commands go on without it.
            sys.stderr.write(f"warning: plugin {ep.name!r} ({ep.value}) not loaded: {exc}\n")
            continue
        pm.register(plugin, name=ep.name)
    return pm


def _fill(registry: Registry[Any], hook_name: str) -> None:
    """Call ``hook_name`` plugin by plugin, so that each registration knows its plugin."""
    pm = manager()
    plugins = pm.list_name_plugin()
    for plugin_name, plugin in plugins:
        hook = pm.subset_hook_caller(hook_name, remove_plugins=[p for _n, p in plugins if p is not plugin])
        hook(register=lambda item, _name=plugin_name: registry.add(item, _name))


@cache
def service_types() -> ServiceTypes:
    """All registered service types (computed once per process)."""
    registry = ServiceTypes()
    _fill(registry, "register_service_types")
    return registry


@cache
def schedulers() -> Schedulers:
    """All registered schedulers, by cluster ``type`` (computed once per process)."""
    registry = Schedulers()
    _fill(registry, "register_schedulers")
    return registry
