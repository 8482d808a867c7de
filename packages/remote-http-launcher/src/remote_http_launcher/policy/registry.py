"""The plugin registry: a pluggy manager holding the built-in plugin and the installed ones.

Third-party plugins are the entry points of the group :data:`ENTRY_POINT_GROUP`.
:data:`ENV_PLUGINS` limits which of them load: unset loads all, an empty value loads none,
``a,b`` loads only the entry points named ``a`` and ``b`` (the built-in plugin always loads).

Entry points are found by :mod:`..entrypoints`, which reads the installed distributions'
``entry_points.txt`` directly: ``importlib.metadata`` costs about 25 ms to import, more than
a whole guarded ``rhl-ps`` call.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pluggy

from ..entrypoints import EntryPoint, find_entry_points
from . import builtin, hookspecs
from .base import PolicyConfigError, valid_name
from .hookspecs import PolicyFactory

ENTRY_POINT_GROUP = "remote_http_launcher.path_policies"
ENV_PLUGINS = "RHL_PATH_POLICY_PLUGINS"
BUILTIN_PLUGIN = "builtin"


class Registration:
    """One registered policy: its name, factory, summary and the plugin that registered it."""

    __slots__ = ("factory", "name", "plugin", "summary")

    def __init__(self, name: str, factory: PolicyFactory, summary: str, plugin: str) -> None:
        self.name = name
        self.factory = factory
        self.summary = summary
        self.plugin = plugin


class Registry:
    """Policies by name, filled by calling every plugin's ``register_path_policies``."""

    def __init__(self, manager: pluggy.PluginManager) -> None:
        self.manager = manager
        self.policies: dict[str, Registration] = {}

    def factory(self, name: str) -> PolicyFactory:
        registration = self.policies.get(name)
        if registration is None:
            known = ", ".join(sorted(self.policies))
            raise PolicyConfigError(f"unknown path policy {name!r} (available: {known})")
        return registration.factory

    def collect(self) -> None:
        # One call per plugin, in registration order (built-in first), to know who registered what.
        plugins = self.manager.list_name_plugin()
        for plugin_name, plugin in plugins:
            hook = self.manager.subset_hook_caller(
                "register_path_policies", remove_plugins=[p for _n, p in plugins if p is not plugin]
            )

            hook(register=self._register_for(plugin_name))

    def _register_for(self, plugin_name: str) -> Callable[..., None]:
        def register(name: str, factory: PolicyFactory, *, summary: str = "") -> None:
            self._add(name, factory, summary, plugin_name)

        return register

    def _add(self, name: str, factory: PolicyFactory, summary: str, plugin: str) -> None:
        if not isinstance(name, str) or not valid_name(name):
            raise PolicyConfigError(f"plugin {plugin!r} registered an invalid policy name {name!r}")
        if not callable(factory):
            raise PolicyConfigError(f"plugin {plugin!r} registered {name!r} without a callable factory")
        previous = self.policies.get(name)
        if previous is not None:
            raise PolicyConfigError(
                f"path policy {name!r} is registered twice (plugins {previous.plugin!r} and {plugin!r})"
            )
        self.policies[name] = Registration(name, factory, str(summary), plugin)


def selected_entry_points() -> list[EntryPoint]:
    """The entry points of :data:`ENTRY_POINT_GROUP` that :data:`ENV_PLUGINS` lets load."""
    found = find_entry_points(ENTRY_POINT_GROUP)
    limit = os.environ.get(ENV_PLUGINS)
    if limit is None:
        return found
    wanted = {name.strip() for name in limit.split(",") if name.strip()}
    return [ep for ep in found if ep.name in wanted]


def load_registry() -> Registry:
    """A fresh registry: the built-in plugin first, then each selected third-party plugin."""
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    manager.register(builtin, name=BUILTIN_PLUGIN)
    for entry_point in selected_entry_points():
        if entry_point.name == BUILTIN_PLUGIN:
            raise PolicyConfigError(f"plugin name {BUILTIN_PLUGIN!r} is reserved ({entry_point.value})")
        try:
            plugin = entry_point.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin is a configuration error
            raise PolicyConfigError(
                f"could not load path-policy plugin {entry_point.name!r} ({entry_point.value}): "
                f"{type(exc).__name__}: {exc}"
            ) from None
        try:
            manager.register(plugin, name=entry_point.name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise PolicyConfigError(
                f"could not register path-policy plugin {entry_point.name!r}: {exc}"
            ) from None
    registry = Registry(manager)
    registry.collect()
    return registry
