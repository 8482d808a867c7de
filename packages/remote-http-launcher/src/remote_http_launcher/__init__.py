"""remote-http-launcher: launch, supervise, inspect and clean up HTTP services, locally or over SSH.

This module stays import-light: the ``rhl-*`` helpers import it on every SSH call. The
launcher's public API (the names remote-http-launcher 0.4.5 exported: ``run``,
``Configuration``, ``LauncherError``, ``main``) and ``__version__`` are loaded on first use.
"""

# Quoted annotations, no __future__ import: rhl-guard's decision loads this module (guard/__init__.py).

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ._version import __version__ as __version__

__all__ = ["Configuration", "LauncherError", "__version__", "main", "run"]

_LAZY = {
    "__version__": ("_version", "__version__"),
    "run": ("launch.api", "run"),
    "Configuration": ("launch.config", "Configuration"),
    "LauncherError": ("launch.errors", "LauncherError"),
    "ConfigError": ("launch.errors", "ConfigError"),
    "main": ("launch.cli", "main"),
}


def __getattr__(name: str) -> "Any":
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    module, attribute = _LAZY[name]
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    globals()[name] = value
    return value
