"""remote-http-launcher: launch, supervise, inspect and clean up HTTP services, locally or over SSH.

This module stays import-light: the ``rhl-*`` helpers import it on every SSH call.
"""

from __future__ import annotations

from ._version import __version__

__all__ = ["__version__"]
