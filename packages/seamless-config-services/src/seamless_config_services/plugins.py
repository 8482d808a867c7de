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
from typing import TYPE_CHECKING

import pluggy

from . import hookspecs
from .errors import ConfigError

if TYPE_CHECKING:
    from .services.base import ServiceType

ENTRY_POINT_GROUP = "seamless_config_services"
ENV_PLUGINS = "SEAMLESS_CONFIG_SERVICES_PLUGINS"
BUILTIN_PLUGINS = ("seamless_config_services.services.builtin",)


class ServiceTypes:
    """Service types by name, in registration order (built-ins first)."""

    def __init__(self) -> None:
        self.by_name: dict[str, ServiceType] = {}
        self.plugin_of: dict[str, str] = {}

    def add(self, service_type: ServiceType, plugin: str) -> None:
        name = getattr(service_type, "name", None)
        if not isinstance(name, str) or not name:
            raise ConfigError(f"plugin {plugin!r} registered a service type without a name")
        if name in self.by_name:
            raise ConfigError(
                f"service type {name!r} is registered twice (plugins {self.plugin_of[name]!r} and {plugin!r})"
            )
        self.by_name[name] = service_type
        self.plugin_of[name] = plugin

    def get(self, name: str) -> ServiceType:
        found = self.by_name.get(name)
        if found is None:
            raise ConfigError(f"unknown service {name!r} (known: {', '.join(self.by_name)})")
        return found

    def names(self) -> list[str]:
        return list(self.by_name)

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


@cache
def service_types() -> ServiceTypes:
    """All registered service types (computed once per process)."""
    pm = manager()
    registry = ServiceTypes()
    plugins = pm.list_name_plugin()
    for plugin_name, plugin in plugins:
        hook = pm.subset_hook_caller(
            "register_service_types", remove_plugins=[p for _n, p in plugins if p is not plugin]
        )
        hook(register=lambda service_type, _name=plugin_name: registry.add(service_type, _name))
    return registry
