"""Reading one YAML file: a value, or a :class:`ConfigError` naming the file (and the line).

seamless-config 0.3.2 let PyYAML's exceptions through as tracebacks; here a syntax error reads
``<file>: line 3, column 9: invalid YAML: mapping values are not allowed here``.
"""

from __future__ import annotations

from typing import Any

import yaml

from ..errors import ConfigError

try:  # the C loader is several times faster; both are "safe" (no arbitrary objects)
    from yaml import CSafeLoader as Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as Loader  # type: ignore[assignment]


def parse_yaml(text: str, file: str) -> Any:
    """The document in ``text``; ``None`` for an empty one."""
    try:
        return yaml.load(text, Loader=Loader)  # a safe loader (C or Python)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else None
        problem = exc.problem or exc.context or "unreadable"
        raise ConfigError(f"invalid YAML: {problem}", file=file, field=where) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=file) from None
    except RecursionError:
        raise ConfigError("invalid YAML: nested too deeply", file=file) from None


def read_yaml(path: str) -> Any:
    """The document of the file at ``path``; ``None`` for an empty file."""
    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
    except UnicodeDecodeError:
        raise ConfigError("not a UTF-8 text file", file=path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the file ({exc.strerror or exc})", file=path) from None
    return parse_yaml(text, path)
