"""seamless-config-services: Seamless-aware service management over remote-http-launcher.

The Python API (:mod:`.api`) is what the ``seamless-service-*`` commands are thin shells
over; plugins mark their hook functions with :data:`hookimpl`.
"""

from __future__ import annotations

from ._version import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~7 ms (re, enum): not for every command's --version
    from typing import Any

__all__ = ["__version__", "hookimpl"]


def __getattr__(name: str) -> Any:
    if name == "hookimpl":
        from .hookspecs import hookimpl

        return hookimpl
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
