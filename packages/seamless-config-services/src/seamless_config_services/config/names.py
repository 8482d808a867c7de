"""The names a user selects: cluster, project, subproject, stage, substage.

Keys and workdirs join these names with ``--`` and ``STAGE-``, so a name containing either
would make two different selections share one key; ``/`` would add a directory level (only a
subproject may do that, on purpose: nested subprojects are nested directories). The rule is
applied to every *selected* name, whether it comes from a command file or a flag.
"""

from __future__ import annotations

from .checks import Where

#: What each kind of name must not contain (``subproject`` may hold ``/``).
FORBIDDEN = ("--", "STAGE-", "/")
SLASH_ALLOWED = frozenset({"subproject"})


def name_problem(kind: str, value: str) -> str | None:
    """The sentence saying why ``value`` cannot be a ``kind`` name, or ``None``."""
    for part in FORBIDDEN:
        if part == "/" and kind in SLASH_ALLOWED:
            continue
        if part in value:
            return f"{kind} name {value!r} cannot contain {part!r}"
    if any(c.isspace() or not c.isprintable() for c in value):
        return f"{kind} name {value!r} cannot contain whitespace or control characters"
    # Names become directory names: '.', '..' or an empty component would leave the tree.
    if any(component in ("", ".", "..") for component in value.split("/")):
        return f"{kind} name {value!r} cannot have an empty, '.' or '..' path component"
    return None


def check_name(kind: str, value: str, where: Where) -> str:
    problem = name_problem(kind, value)
    if problem is not None:
        raise where.error(problem)
    return value
