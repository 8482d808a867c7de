"""Where a value sits in a file, and the type checks that name it when it is wrong.

Every error the configuration layer raises reads ``<file>: <field>: <what is expected, got
what>``; :class:`Where` carries the first two parts down the tree so each check only says
what it expects. Values come from ``yaml.safe_load``, so anything a YAML document can hold
may arrive here: the checks never assume a type they have not tested.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import ConfigError
from ..model import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any


@record(frozen=True)
class Where:
    """A file, a label (``cluster 'hpc'``, ``stage prod``) and a dotted path under it
    (``frontends[0].hashserver.port_start``); :attr:`field` joins the last two."""

    file: str | None
    label: str | None = None
    path: str | None = None

    @property
    def field(self) -> str | None:
        parts = [p for p in (self.label, self.path) if p]
        return ": ".join(parts) or None

    def sub(self, name: str) -> Where:
        name = plain(name)
        return Where(self.file, self.label, f"{self.path}.{name}" if self.path else name)

    def index(self, position: int) -> Where:
        return Where(self.file, self.label, f"{self.path or ''}[{position}]")

    def labelled(self, label: str) -> Where:
        """A new label after this one (``stage prod`` then ``clusters``); the path restarts."""
        return Where(self.file, ": ".join(p for p in (self.field, label) if p), None)

    def error(self, message: str) -> ConfigError:
        return ConfigError(message, file=self.file, field=self.field)


def plain(name: Any) -> str:
    """A name as it may appear in a message: itself when it is a printable, trimmed,
    non-empty string, else quoted (so a key holding a newline cannot break the one line)."""
    if isinstance(name, str) and name and name.isprintable() and name == name.strip():
        return name
    return describe(name)


def describe(value: Any) -> str:
    """How a wrong value is quoted back: YAML spelling for scalars, a kind for containers."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = repr(value)
        return text if len(text) <= 60 else text[:56] + "...'"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def wrong(where: Where, expected: str, value: Any) -> ConfigError:
    return where.error(f"expected {expected}, got {describe(value)}")


def expect_str(value: Any, where: Where, *, expected: str = "a string", allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise wrong(where, expected, value)
    if not allow_empty and not value.strip():
        raise wrong(where, f"a non-empty {expected.removeprefix('a ')}", value)
    return value


def is_int(value: Any) -> bool:
    """YAML ``true`` is a Python ``int``; it never counts as one here."""
    return isinstance(value, int) and not isinstance(value, bool)


def expect_int(value: Any, where: Where, *, minimum: int | None = None, maximum: int | None = None) -> int:
    positive = minimum == 1 and maximum is None
    if not is_int(value):
        raise wrong(where, "a positive integer" if positive else "an integer", value)
    if maximum is not None and (value > maximum or (minimum is not None and value < minimum)):
        raise wrong(where, f"an integer between {minimum} and {maximum}", value)
    if minimum is not None and value < minimum:
        raise wrong(where, "a positive integer" if positive else f"an integer >= {minimum}", value)
    return int(value)


def expect_bool(value: Any, where: Where) -> bool:
    if not isinstance(value, bool):
        raise wrong(where, "true or false", value)
    return value


def expect_mapping(value: Any, where: Where, *, expected: str = "a mapping") -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise wrong(where, expected, value)
    return value


def expect_choice(value: Any, where: Where, choices: Iterable[str | None]) -> Any:
    options = list(choices)
    if value not in options or (value is not None and not isinstance(value, str)):
        spelled = ", ".join("null" if c is None else c for c in options)
        raise wrong(where, f"one of {spelled}", value)
    return value


def expect_str_list(value: Any, where: Where) -> list[str]:
    if not isinstance(value, list):
        raise wrong(where, "a list of strings", value)
    for position, item in enumerate(value):
        if not isinstance(item, str):
            raise wrong(where.index(position), "a string", item)
    return list(value)


def check_keys(mapping: Mapping[Any, Any], where: Where, allowed: Iterable[str]) -> None:
    """Every key is a string and one of ``allowed`` (the message lists them)."""
    names = list(allowed)
    for key in mapping:
        if not isinstance(key, str):
            raise where.error(f"field names must be strings, got {describe(key)}")
        if key not in names:
            raise where.sub(key).error(f"unknown field (allowed: {', '.join(names)})")
