"""The built-in service types, registered like any third-party plugin's."""

from __future__ import annotations

from ..hookspecs import RegisterServiceType, hookimpl
from .dask import Daskserver, PureDaskserver
from .database import Database
from .hashserver import Hashserver
from .jobserver import Jobserver


@hookimpl
def register_service_types(register: RegisterServiceType) -> None:
    for service_type in (Hashserver(), Database(), Jobserver(), Daskserver(), PureDaskserver()):
        register(service_type)
