"""Reading one YAML file: a value, or a :class:`ConfigError` naming the file (and the line).

This is the one route by which the configuration layer reads YAML (cluster files, command
files, inline documents), so its rules hold everywhere:

* seamless-config 0.3.2 let PyYAML's exceptions through as tracebacks; here a syntax error
  reads ``<file>: line 3, column 9: invalid YAML: mapping values are not allowed here``;
* a key written twice in one mapping (``local:`` twice in clusters.yaml, ``{project: p,
  project: q}``) is an error naming both lines. PyYAML (and so 0.3.2) silently keeps the
  last one, which turns a typo into a different configuration without a word;
* only regular files are read, opened without blocking: a FIFO (or a device) at
  ``~/.seamless/clusters.yaml`` made every command wait forever for a writer;
* a document already parsed is taken from the parsed-YAML cache (:mod:`.parsed`): the
  same text always parses to the same value, so the answer is the same, and PyYAML is not
  even imported when every file a command reads is in the cache.
"""

from __future__ import annotations

import os
import stat

from ..errors import ConfigError
from . import parsed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def parse_yaml(text: str, file: str) -> Any:
    """The document in ``text``; ``None`` for an empty one."""
    found = parsed.lookup(file, text)
    if found is not parsed.MISSING:
        return found
    from .yamlparse import parse

    value = parse(text, file)
    parsed.store(file, text, value)
    return value


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
