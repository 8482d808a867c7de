"""Which service sections a frontend may have, and which fields each section takes.

The table is not written here: it comes from the registered service types
(:func:`seamless_config_services.plugins.service_types`), read when the first cluster is
validated. A section is read by one or more types (``daskserver`` by daskserver and
pure-daskserver); its required fields are the union of what those types require, its allowed
fields the union of required and optional ones, so a plugin's new service type brings its own
section without touching this module.

Field *types* are known here for the fields of the built-in sections; a field this module does
not know (a plugin's) is accepted with any value, the plugin checks it.
"""

from __future__ import annotations

from ..model import record
from .checks import Where, expect_int, expect_str

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

#: Port fields: when a section allows both, both are given or neither, and start <= end.
PORT_START, PORT_END = "port_start", "port_end"


def _port(value: Any, where: Where) -> Any:
    return expect_int(value, where, minimum=1, maximum=65535)


def _string(value: Any, where: Where) -> Any:
    return expect_str(value, where)


#: Field name -> check, for the fields of the built-in sections.
FIELD_CHECKS: dict[str, Callable[[Any, Where], Any]] = {
    PORT_START: _port,
    PORT_END: _port,
    "bufferdir": _string,
    "database_dir": _string,
    "conda": _string,
    "network_interface": _string,
}


@record(frozen=True)
class SectionRule:
    """The fields of one frontend section, in a stable order for messages."""

    name: str
    required: tuple[str, ...]
    allowed: tuple[str, ...]
    #: The ``check_section`` of every type reading the section (rules beyond the fields).
    checks: tuple[Callable[[Mapping[str, Any]], None], ...] = ()


def _ordered_union(groups: list[tuple[str, ...]]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:
        for name in group:
            seen.setdefault(name, None)
    return tuple(seen)


def registered_sections() -> dict[str, SectionRule]:
    """Section name -> rule, from the service types registered right now."""
    from .. import plugins

    rules: dict[str, SectionRule] = {}
    for section, types in plugins.service_types().sections().items():
        required = _ordered_union([tuple(t.section_required) for t in types])
        optional = _ordered_union([tuple(t.section_optional) for t in types])
        checks = tuple(t.check_section for t in types)
        rules[section] = SectionRule(section, required, _ordered_union([required, optional]), checks)
    return rules
