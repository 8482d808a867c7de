"""seamless-config-services: Seamless-aware service management over remote-http-launcher."""

from ._version import __version__

__all__ = ["__version__"]
