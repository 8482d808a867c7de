"""Find entry points of one group without importing ``importlib.metadata`` (public API).

``importlib.metadata`` pulls in email, zipfile, pathlib and re (about 25 ms), while the data
it would read here is a handful of small ``entry_points.txt`` files. This reads them the same
way it does for the common layouts: for every directory on ``sys.path``, in order, every
``*.dist-info`` / ``*.egg-info`` directory; a distribution seen earlier on ``sys.path`` hides
later copies of the same (normalized) name. Zipped eggs are not searched. A test checks the
result against ``importlib.metadata.entry_points(group=...)``.

Public because both packages need it on their fast paths: the path-policy registry
(:mod:`.policy.registry`, on every guarded SSH call) and seamless-config-services' plugin
loading (on every ``seamless-service-*`` command).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class EntryPoint:
    """``name = module[:attr.path] [extras]`` from the ``[group]`` section of a distribution."""

    __slots__ = ("distribution", "group", "name", "value")

    def __init__(self, name: str, value: str, group: str, distribution: str) -> None:
        self.name = name
        self.value = value
        self.group = group
        self.distribution = distribution

    def __repr__(self) -> str:
        return f"EntryPoint(name={self.name!r}, value={self.value!r}, group={self.group!r})"

    def load(self) -> Any:
        import importlib

        target = self.value.split("[", 1)[0].strip()
        module_name, _, attrs = target.partition(":")
        obj: Any = importlib.import_module(module_name.strip())
        for attr in filter(None, attrs.strip().split(".")):
            obj = getattr(obj, attr)
        return obj


def _normalize(name: str) -> str:
    out = []
    previous_sep = False
    for char in name.lower():
        if char in "-_.":
            if not previous_sep:
                out.append("-")
            previous_sep = True
        else:
            out.append(char)
            previous_sep = False
    return "".join(out)


def parse_entry_points(text: str, group: str, distribution: str) -> list[EntryPoint]:
    """The entries of ``[group]`` in an ``entry_points.txt`` text (INI; ``#``/``;`` comments)."""
    found: list[EntryPoint] = []
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section != group:
            continue
        name, sep, value = line.partition("=")
        if sep and name.strip() and value.strip():
            found.append(EntryPoint(name.strip(), value.strip(), group, distribution))
    return found


def find_entry_points(group: str) -> list[EntryPoint]:
    """Every entry point of ``group`` among the distributions importable from ``sys.path``."""
    seen: set[str] = set()
    found: list[EntryPoint] = []
    for entry in sys.path:
        directory = entry or "."
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in names:
            if not (name.endswith(".dist-info") or name.endswith(".egg-info")):
                continue
            distribution = _normalize(name.rsplit(".", 1)[0].split("-", 1)[0])
            if distribution in seen:
                continue
            seen.add(distribution)
            try:
                with open(os.path.join(directory, name, "entry_points.txt"), encoding="utf-8") as handle:
                    text = handle.read()
            except (OSError, UnicodeDecodeError):
                continue
            found.extend(parse_entry_points(text, group, distribution))
    return found
