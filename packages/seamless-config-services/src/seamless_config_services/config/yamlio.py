"""Reading one YAML file: a value, or a :class:`ConfigError` naming the file (and the line).

This is the one route by which the configuration layer reads YAML (cluster files, command
files, inline documents), so its rules hold everywhere:

* seamless-config 0.3.2 let PyYAML's exceptions through as tracebacks; here a syntax error
  reads ``<file>: line 3, column 9: invalid YAML: mapping values are not allowed here``;
* a key written twice in one mapping (``local:`` twice in clusters.yaml, ``{project: p,
  project: q}``) is an error naming both lines. PyYAML (and so 0.3.2) silently keeps the
  last one, which turns a typo into a different configuration without a word;
* only regular files are read, opened without blocking: a FIFO (or a device) at
  ``~/.seamless/clusters.yaml`` made every command wait forever for a writer.
"""

from __future__ import annotations

import os
import stat
from typing import Any

import yaml

from ..errors import ConfigError

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


def parse_yaml(text: str, file: str) -> Any:
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


def _kind(path: str) -> str:
    """What a non-regular file is, for the message (looked at only once it was refused)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return "not a regular file"
    if stat.S_ISDIR(mode):
        return "cannot read the file (Is a directory)"  # as reading it would have said
    for test, kind in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return f"not a regular file ({kind})"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "not a regular file (a device)"
    return "not a regular file"


def read_text(path: str) -> str:
    """The text of the regular file at ``path``, read with the launcher's safe reader
    (``remote_http_launcher.state.read_regular_bytes``: opened without blocking, so a FIFO
    cannot make us wait for a writer, and checked to be a regular file before anything is
    read). A symbolic link is followed (cluster files are often kept with dotfiles)."""
    from remote_http_launcher import state

    try:
        raw = state.read_regular_bytes(path, follow_symlinks=True)
    except state.NotRegularFile:
        raise ConfigError(_kind(path), file=path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the file ({exc.strerror or exc})", file=path) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("not a UTF-8 text file", file=path) from None


def read_yaml(path: str) -> Any:
    """The document of the file at ``path``; ``None`` for an empty file."""
    return parse_yaml(read_text(path), path)
