"""The command language of ``seamless.yaml`` and ``seamless.profile.yaml``: parsing.

A file is a YAML list; each entry is a bare command (``- inherit_from_parent``) or a one-key
mapping ``- command: argument``. ``- stage NAME:`` followed by a list of commands is a stage
block: its commands apply only when the selected stage is NAME. Every argument is checked
here, when the file is read (inside stage blocks too), so a typo is reported whatever stage
is selected.

Differences from seamless-config 0.3.2 (spec §7 items 18 and 20):

* a stage block key is exactly ``stage``, whitespace, and a name: ``stagefoo`` is an unknown
  command (0.3.2 took any key starting with ``stage`` as a block), and a bare ``- stage: x``
  says how to write a block instead of crashing with ``AttributeError``;
* every error is one line naming the file, the command (and enclosing stage block) and what
  is expected, e.g. ``/p/seamless.profile.yaml: nparallel: expected a positive integer, got
  'x'``; YAML syntax errors name the line;
* an empty file is an empty list of commands (0.3.2 refused it);
* ``inherit_from_parent`` inside a stage block is an error (0.3.2 ignored it silently: it
  only works at the top level of a file).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..model import record
from .checks import Where, describe, expect_bool, expect_choice, expect_int, expect_mapping, expect_str, plain
from .names import check_name
from .yamlio import read_yaml

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeAlias

#: Read in this order in each directory.
COMMAND_FILES = ("seamless.yaml", "seamless.profile.yaml")
INHERIT = "inherit_from_parent"
EXECUTION_MODES = ("process", "spawn", "remote")
REMOTE_BACKENDS = (None, "daskserver", "jobserver")
#: How deep stage blocks may nest (a YAML alias can make a block contain itself).
MAX_DEPTH = 32
_STAGE_KEY = re.compile(r"stage\s+(\S.*)", re.DOTALL)
_EXAMPLE = "'- project: myproject'"


@record(frozen=True)
class Command:
    """One command with its checked argument, and where it was written."""

    name: str
    value: Any
    where: Where


@record(frozen=True)
class StageBlock:
    stage: str
    entries: tuple[Entry, ...]


Entry: TypeAlias = "Command | StageBlock"


@record(frozen=True)
class CommandFile:
    path: str
    entries: tuple[Entry, ...]
    #: The file has a top-level ``inherit_from_parent``: read the parent directory too.
    inherits: bool


def _name(value: Any, where: Where, kind: str) -> str:
    return check_name(kind, expect_str(value, where), where)


def _subproject(value: Any, where: Where) -> str | None:
    text = expect_str(value, where, allow_empty=True)
    return check_name("subproject", text, where) if text else None


def _cluster(value: Any, where: Where) -> str | None:
    if value is None:
        return None
    return check_name(
        "cluster", expect_str(value, where, expected="a string (a cluster name) or null"), where
    )


def _node(value: Any, where: Where) -> str | None:
    if value is None:
        return None
    return expect_str(value, where, expected="a string (a node name) or null")


def _nparallel(value: Any, where: Where) -> int:
    return expect_int(value, where, minimum=1)


def _clusters(value: Any, where: Where) -> Mapping[Any, Any]:
    return expect_mapping(value, where, expected="a mapping of cluster names to cluster definitions")


#: Command name -> argument check (returning the value to store). ``inherit_from_parent``
#: takes no argument and is absent here.
ARGUMENTS: dict[str, Callable[[Any, Where], Any]] = {
    "project": lambda v, w: _name(v, w, "project"),
    "subproject": _subproject,
    "cluster": _cluster,
    "execution": lambda v, w: expect_choice(v, w, EXECUTION_MODES),
    "queue": lambda v, w: expect_str(v, w, expected="a string (a queue name)"),
    "remote": lambda v, w: expect_choice(v, w, REMOTE_BACKENDS),
    "persistent": expect_bool,
    "record": expect_bool,
    "nparallel": _nparallel,
    "node": _node,
    "clusters": _clusters,
}
COMMANDS = (*ARGUMENTS, INHERIT, "stage NAME")


def _stage_name(key: str, where: Where) -> str | None:
    """The stage of a block key, ``None`` when ``key`` is not a block key."""
    if key.strip() == "stage":
        raise where.error("'stage' needs a name: write '- stage x:' followed by a list of commands")
    found = _STAGE_KEY.fullmatch(key)
    if found is None:
        return None
    name = found.group(1).strip()
    return check_name("stage", name, where)


def _entry(item: Any, where: Where, position: int, depth: int) -> Entry | None:
    """One list item; ``None`` for a top-level ``inherit_from_parent``. Errors about the
    shape of an item name its position (``entry 3``), errors about a command its name."""
    at = where.labelled(f"entry {position}")
    if isinstance(item, str):
        key, value, bare = item, None, True
    elif isinstance(item, Mapping) and len(item) == 1:
        ((key, value),) = item.items()
        bare = False
        if not isinstance(key, str):
            raise at.error(f"command names must be strings, got {describe(key)}")
    elif isinstance(item, Mapping):
        keys = ", ".join(plain(k) for k in item) or "none"
        raise at.error(
            f"expected one command per list entry, got a mapping with {len(item)} keys ({keys}); "
            "start each command with '- '"
        )
    else:
        raise at.error(
            f"expected a command (a string or a one-key mapping such as {_EXAMPLE}), got {describe(item)}"
        )
    stage = _stage_name(key, at)
    if stage is not None:
        block = where.labelled(f"stage {stage}")
        if bare or not isinstance(value, list):
            raise block.error(
                "must be followed by a YAML list of commands "
                "(write '- stage NAME:' and the commands indented below it)"
            )
        if depth >= MAX_DEPTH:
            raise block.error(f"stage blocks nested more than {MAX_DEPTH} deep")
        return StageBlock(stage, _entries(value, block, depth + 1))
    here = where.labelled(key)
    if key == INHERIT:
        if not bare and value is not None:
            raise here.error(f"takes no value: write '- {INHERIT}'")
        if depth > 0:
            raise here.error("only works at the top level of a file, not inside a stage block")
        return None
    check = ARGUMENTS.get(key)
    if check is None:
        raise at.error(f"unknown command {key!r} (commands: {', '.join(COMMANDS)})")
    if bare:
        raise here.error(f"needs a value: write '- {key}: VALUE'")
    return Command(key, check(value, here), here)


def _entries(items: list[Any], where: Where, depth: int) -> tuple[Entry, ...]:
    found = []
    for position, item in enumerate(items, start=1):
        entry = _entry(item, where, position, depth)
        if entry is not None:
            found.append(entry)
    return tuple(found)


def parse_document(document: Any, path: str) -> CommandFile:
    """The commands of one file's YAML document (``None`` = empty file)."""
    where = Where(path)
    if document is None:
        return CommandFile(path, (), False)
    if not isinstance(document, list):
        raise where.error(f"expected a YAML list of commands such as {_EXAMPLE}, got {describe(document)}")
    inherits = any(_is_inherit(item) for item in document)
    return CommandFile(path, _entries(document, where, 0), inherits)


def _is_inherit(item: Any) -> bool:
    return item == INHERIT or (isinstance(item, Mapping) and list(item) == [INHERIT])


def parse_file(path: str) -> CommandFile:
    return parse_document(read_yaml(path), path)


def expand(entries: tuple[Entry, ...], stage: str | None) -> list[Command]:
    """The commands in stream order, stage blocks for ``stage`` expanded in place."""
    found: list[Command] = []
    for entry in entries:
        if isinstance(entry, StageBlock):
            if stage is not None and entry.stage == stage:
                found.extend(expand(entry.entries, stage))
        else:
            found.append(entry)
    return found
