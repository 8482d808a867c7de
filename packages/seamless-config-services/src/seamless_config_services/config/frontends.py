"""One frontend of a cluster: its hostnames and the service sections it can host.

The section names and their fields come from the registered service types
(:mod:`.sections`); a section's presence means "this frontend can run that service".
"""

from __future__ import annotations

from ..errors import ConfigError
from ..model import Frontend
from .checks import Where, check_keys, expect_mapping, expect_str
from .sections import FIELD_CHECKS, PORT_END, PORT_START, SectionRule

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

HOST_FIELDS = ("hostname", "ssh_hostname")
#: Section fields whose explicit ``null`` is a value, kept as ``None``: ``conda: null`` is "run
#: the service without activating an environment", which seamless-config 0.3.2's runtime
#: accepts for the jobserver (where ``conda`` is otherwise required) and our launcher honours.
NULLABLE = frozenset({"conda"})


def _section(raw: Any, where: Where, rule: SectionRule) -> dict[str, Any]:
    if raw is None:  # ``hashserver:`` with nothing below: present, no fields
        raw = {}
    mapping = expect_mapping(raw, where, expected=f"a mapping of {rule.name} settings")
    check_keys(mapping, where, rule.allowed)
    fields: dict[str, Any] = {}
    for name, value in mapping.items():
        field_check = FIELD_CHECKS.get(name)
        if value is None:
            if name in NULLABLE:
                fields[name] = None  # written as null: a value with a meaning
            elif name in rule.required:
                # Given, but null: say what it must be ("expected a string, got null"),
                # never "missing".
                if field_check:
                    field_check(value, where.sub(name))
                raise where.sub(name).error("required, and must not be null")
            continue
        fields[name] = field_check(value, where.sub(name)) if field_check else value
    missing = [name for name in rule.required if name not in fields]
    if missing:
        listed = ", ".join(repr(m) for m in missing)
        raise where.error(f"missing required field{'s' if len(missing) > 1 else ''} {listed}")
    if PORT_START in rule.allowed and PORT_END in rule.allowed:
        _check_ports(fields, where)
    for check in rule.checks:
        try:
            check(fields)
        except ConfigError as exc:  # the type knows the rule; we know the file and the path
            raise (where.sub(exc.field) if exc.field else where).error(exc.detail) from None
    return fields


def _check_ports(fields: Mapping[str, Any], where: Where) -> None:
    start, end = fields.get(PORT_START), fields.get(PORT_END)
    if (start is None) != (end is None):
        raise where.error(f"'{PORT_START}' and '{PORT_END}' must both be set or both be omitted")
    if start is not None and end is not None and start > end:
        raise where.error(f"'{PORT_START}' ({start}) must not be greater than '{PORT_END}' ({end})")


def build_frontend(
    raw: Any, where: Where, cluster_type: str | None, rules: Mapping[str, SectionRule]
) -> Frontend:
    """``where`` points at ``frontends[i]``."""
    mapping = expect_mapping(raw, where, expected="a mapping (one frontend)")
    check_keys(mapping, where, [*HOST_FIELDS, *rules])
    hostname = mapping.get("hostname")
    if hostname is None:
        if cluster_type != "local":
            kind = f"of type {cluster_type!r}" if cluster_type else "without a 'type'"
            raise where.sub("hostname").error(
                f"required for a cluster {kind} (only clusters of type 'local' default to 'localhost')"
            )
        hostname = "localhost"
    hostname = expect_str(hostname, where.sub("hostname"))
    ssh_hostname = mapping.get("ssh_hostname")
    if ssh_hostname is not None:
        ssh_hostname = expect_str(ssh_hostname, where.sub("ssh_hostname"))
    sections = {
        name: _section(value, where.sub(name), rules[name])
        for name, value in mapping.items()
        if name in rules
    }
    return Frontend(hostname=hostname, ssh_hostname=ssh_hostname, sections=sections)
