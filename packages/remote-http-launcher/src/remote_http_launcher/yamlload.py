"""YAML documents through PyYAML's safe loader, with every mapping key written once.

PyYAML keeps the last of two equal keys without a word, so a tools whitelist, a launch
configuration or a seamless.yaml with a key written twice would silently mean something else
than its author read. Every YAML file either package reads goes through :func:`load`, which
refuses that (:class:`DuplicateKey`, marked at the second occurrence). Public: the client
package (``seamless_config_services.config.yamlparse``) uses it too.

Importing this module imports PyYAML (several milliseconds): callers import it only when
they really parse (after their caches missed).
"""

from __future__ import annotations

import yaml

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

try:  # the C parser is several times faster; both are "safe" (no arbitrary objects)
    from yaml import CSafeLoader as _FastBase
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _FastBase  # type: ignore[assignment]

#: The YAML merge key: ``<<: *base`` followed by a key of the base is an override, not a
#: duplicate.
_MERGE_TAG = "tag:yaml.org,2002:merge"


class DuplicateKey(yaml.MarkedYAMLError):
    """A mapping key written twice; ``problem_mark`` is the second occurrence."""


class _OnceEach:
    """``construct_mapping`` that refuses a key written twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, yaml.Node] = {}
            for key_node, _value_node in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=True)  # type: ignore[attr-defined]
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
        return dict(super().construct_mapping(node, deep=deep))  # type: ignore[misc]


class Loader(_OnceEach, _FastBase):  # type: ignore[misc,valid-type]
    """The C safe loader (when PyYAML has libyaml), refusing duplicate keys."""


class PureLoader(_OnceEach, yaml.SafeLoader):
    """The pure-Python safe loader, refusing duplicate keys: its syntax errors are worded as
    remote-http-launcher 0.4.5 (``yaml.safe_load``) worded them."""


def _spelled(key: Any) -> str:
    text = repr(key) if isinstance(key, str) else str(key)
    return text if len(text) <= 60 else text[:56] + "...'"


def load(text: str, *, pure: bool = False) -> Any:
    """The document in ``text`` (``None`` for an empty one); raises ``yaml.YAMLError``
    (:class:`DuplicateKey` among them). ``pure``: with :class:`PureLoader`."""
    return yaml.load(text, Loader=PureLoader if pure else Loader)  # noqa: S506 - safe loaders
