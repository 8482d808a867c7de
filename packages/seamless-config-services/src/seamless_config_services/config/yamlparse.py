"""The PyYAML part of reading YAML: the safe loader that refuses duplicate keys.

Imported only when a document is not in the parsed-YAML cache (:mod:`.yamlio`): PyYAML's
import costs more than reading every configuration file a command needs.
"""

from __future__ import annotations

import yaml

from ..errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

try:  # the C parser is several times faster; both are "safe" (no arbitrary objects)
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

#: The YAML merge key: ``<<: *base`` followed by a key of the base is an override, not a
#: duplicate.
_MERGE_TAG = "tag:yaml.org,2002:merge"


class DuplicateKey(yaml.MarkedYAMLError):
    """A mapping key written twice; ``problem_mark`` is the second occurrence."""


class Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The safe loader, refusing duplicate mapping keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, yaml.Node] = {}
            for key_node, _value_node in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: the base constructor words that error
                    continue
                if first is not None:
                    raise DuplicateKey(
                        None,
                        None,
                        f"duplicate key {_spelled(key)} (first written at line {first.start_mark.line + 1})",
                        key_node.start_mark,
                    )
                seen[key] = key_node
        return dict(super().construct_mapping(node, deep=deep))


def _spelled(key: Any) -> str:
    text = repr(key) if isinstance(key, str) else str(key)
    return text if len(text) <= 60 else text[:56] + "...'"


def parse(text: str, file: str) -> Any:
    """The document in ``text``; ``None`` for an empty one."""
    try:
        return yaml.load(text, Loader=Loader)  # noqa: S506 - a safe loader (C or Python)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else None
        problem = exc.problem or exc.context or "unreadable"
        raise ConfigError(f"invalid YAML: {problem}", file=file, field=where) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=file) from None
    except RecursionError:
        raise ConfigError("invalid YAML: nested too deeply", file=file) from None
