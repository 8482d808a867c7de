"""The plugin manager: built-in plugins plus the installed ones, and the registries they fill.

Plugins are modules (or any objects) whose hook functions carry the pluggy marks of
:mod:`.hookspecs`; this manager reads the marks and calls the hooks as pluggy's
``PluginManager`` would (a hook function gets the hook's arguments it names; one with an
argument the hook does not pass is refused when it registers), plugin by plugin in
registration order, without importing pluggy (with typing and inspect it cost ~8 ms, most
of a ``resolve``).

Third-party plugins are the entry points of the group :data:`ENTRY_POINT_GROUP`.
:data:`ENV_PLUGINS` limits which of them load: unset loads all, an empty value loads none,
``a,b`` loads only the entry points named ``a`` and ``b``. Built-in plugins always load.

The entry points are found by :func:`remote_http_launcher.entrypoints.find_entry_points`,
which reads the installed distributions' ``entry_points.txt`` files as ``importlib.metadata``
does (a test compares the two) without importing it: ``importlib.metadata`` pulls in email,
zipfile and friends, about 13 ms on every command, to read a handful of small files.
"""

from __future__ import annotations

import os
import sys

from remote_http_launcher.entrypoints import EntryPoint, find_entry_points

from . import hookspecs
from .errors import ConfigError

TYPE_CHECKING = False  # resolve and ps load the plugins: no typing at run time
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Generic, TypeVar

    from .schedulers.base import Scheduler  # noqa: F401 - named in a string below
    from .services.base import ServiceType

    T = TypeVar("T")
    R = TypeVar("R")
else:
    T = R = None

    class Generic:
        """Run time: ``Registry[...]`` is ``Registry`` (typing is not imported for it)."""

        def __class_getitem__(cls, _item: object) -> type:
            return cls


class cache(Generic[R]):  # lower case: a decorator, as functools.cache
    """``functools.cache`` for a function without arguments, ``cache_clear`` included
    (functools is not imported for it)."""

    def __init__(self, function: Callable[[], R]) -> None:
        self.function = function
        self.__doc__ = function.__doc__
        self.value: list[R] = []

    def __call__(self) -> R:
        if not self.value:
            self.value.append(self.function())
        return self.value[0]

    def cache_clear(self) -> None:
        self.value.clear()


ENTRY_POINT_GROUP = "seamless_config_services"
ENV_PLUGINS = "SEAMLESS_CONFIG_SERVICES_PLUGINS"
BUILTIN_PLUGINS = ("seamless_config_services.services.builtin", "seamless_config_services.schedulers.builtin")


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


def selected_entry_points() -> list[EntryPoint]:
    """The installed plugins' entry points that :data:`ENV_PLUGINS` lets load, by name."""
    found = sorted(find_entry_points(ENTRY_POINT_GROUP), key=lambda ep: ep.name)
    limit = os.environ.get(ENV_PLUGINS)
    if limit is None:
        return list(found)
    wanted = {name.strip() for name in limit.split(",") if name.strip()}
    return [ep for ep in found if ep.name in wanted]


#: The hooks (:mod:`.hookspecs`) and the arguments each passes.
HOOKS = {"register_service_types": ("register",), "register_schedulers": ("register",)}


class Plugin:
    """A registered plugin: its name and its hook functions, by hook, with the arguments
    each takes."""

    __slots__ = ("hooks", "name", "plugin")

    def __init__(self, name: str, plugin: object) -> None:
        self.name = name
        self.plugin = plugin
        self.hooks: dict[str, list[tuple[Callable[..., Any], tuple[str, ...]]]] = {}
        for attribute in dir(plugin):
            function = getattr(plugin, attribute)
            options = getattr(function, hookspecs.PROJECT + "_impl", None)
            if not isinstance(options, dict) or not callable(function) or isinstance(function, type):
                continue
            hook = options.get("specname") or attribute
            if hook not in HOOKS:
                continue  # as pluggy: a hook nobody declared is never called
            if options.get("wrapper") or options.get("hookwrapper"):
                raise ConfigError(f"plugin {name!r}: {attribute} is a hook wrapper; {hook} takes none")
            takes = argument_names(function)
            unknown = [arg for arg in takes if arg not in HOOKS[hook]]
            if unknown:
                raise ConfigError(
                    f"plugin {name!r}: {attribute} takes {', '.join(unknown)}, which {hook} does not pass"
                    f" (it passes {', '.join(HOOKS[hook])})"
                )
            self.hooks.setdefault(hook, []).append((function, takes))


def argument_names(function: Callable[..., Any]) -> tuple[str, ...]:
    """The arguments pluggy passes to a hook function: its positional parameters without a
    default (``self`` of a method not included), as ``pluggy``'s ``varnames`` finds them."""
    target: Any = getattr(function, "__func__", function)
    code = getattr(target, "__code__", None)
    if code is None:
        return ()
    names = code.co_varnames[: code.co_argcount]
    defaults = getattr(target, "__defaults__", None) or ()
    if defaults:
        names = names[: -len(defaults)]
    implicit = target is not function or (
        "." in getattr(target, "__qualname__", "") and names[:1] in (("self",), ("cls",), ("obj",))
    )
    return tuple(names[1:] if names and implicit else names)


@cache
def manager() -> list[Plugin]:
    """The plugins, built-ins first, then the selected entry points by name."""
    registered: list[Plugin] = []

    def register(plugin: object, name: str) -> None:
        for known in registered:
            if known.name == name or known.plugin is plugin:
                raise ConfigError(f"plugin {name!r} is registered twice (as {known.name!r})")
        registered.append(Plugin(name, plugin))

    for module_name in BUILTIN_PLUGINS:
        __import__(module_name)  # not importlib.import_module: importlib is not imported for it
        register(sys.modules[module_name], module_name)
    for ep in selected_entry_points():
        try:
            plugin = ep.load()
        except Exception as exc:  # noqa: BLE001 - whatever a plugin raises on import
            # A broken third-party plugin must not take the built-in services down with it:
            # one warning line, and the commands go on without it.
            sys.stderr.write(f"warning: plugin {ep.name!r} ({ep.value}) not loaded: {exc}\n")
            continue
        register(plugin, ep.name)
    return registered


def _fill(registry: Registry[Any], hook_name: str) -> None:
    """Call ``hook_name`` plugin by plugin, so that each registration knows its plugin."""
    for plugin in manager():
        for function, takes in plugin.hooks.get(hook_name, ()):
            arguments = {"register": lambda item, _name=plugin.name: registry.add(item, _name)}
            function(*[arguments[name] for name in takes])


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
