"""remote-http-launcher: launch, supervise, inspect and clean up HTTP services, locally or over SSH.

This module stays import-light: the ``rhl-*`` helpers import it on every SSH call. The
launcher's public API (the names remote-http-launcher 0.4.5 exported: ``run``,
``Configuration``, ``LauncherError``, ``main``) is loaded on first use.
"""

from __future__ import annotations

from ._version import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Configuration", "LauncherError", "__version__", "main", "run"]

_LAZY = {
    "run": ("launch.api", "run"),
    "Configuration": ("launch.config", "Configuration"),
    "LauncherError": ("launch.errors", "LauncherError"),
    "ConfigError": ("launch.errors", "ConfigError"),
    "main": ("launch.cli", "main"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    module, attribute = _LAZY[name]
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    globals()[name] = value
    return value
