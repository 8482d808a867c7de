"""The PyYAML part of reading YAML: the server package's safe loader that refuses duplicate
keys (``remote_http_launcher.yamlload``, one rule for every YAML file), worded as
:class:`ConfigError`.

Imported only when a document is not in the parsed-YAML cache (:mod:`.yamlio`): PyYAML's
import costs more than reading every configuration file a command needs.
"""

from __future__ import annotations

import yaml

from remote_http_launcher.yamlload import load

from ..errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def parse(text: str, file: str) -> Any:
    """The document in ``text``; ``None`` for an empty one."""
    try:
        return load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else None
        problem = exc.problem or exc.context or "unreadable"
        raise ConfigError(f"invalid YAML: {problem}", file=file, field=where) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=file) from None
    except RecursionError:
        raise ConfigError("invalid YAML: nested too deeply", file=file) from None
