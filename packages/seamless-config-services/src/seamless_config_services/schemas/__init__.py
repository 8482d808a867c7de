"""The JSON Schemas of the ``seamless-service-*`` documents, shipped in the package.

Every JSON object the commands and the MCP server (``seamless-service-mcp``) return names its
schema and version in a ``schema`` field (``"seamless-service-stop/1"``); the schema file
``<name>.schema.json`` beside this module has ``$id`` ``urn:seamless-config-services:schema:
<name>/<version>``. Within a version fields are only added; changing or removing one bumps the
version (a new file, the old one kept). The doctor's schema stays where it was defined,
``doctor/report.schema.json`` (``seamless-service-doctor/1``): it is served from there, not
copied.

Schemas may refer to each other by ``$id`` (the ps listing to its rows, restart to start);
:func:`load` returns a self-contained document with those inlined under ``$defs``, because an
MCP client validates a tool's output with the output schema alone (no registry).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Nothing heavy at import time: every ``--json`` row is stamped through :func:`stamp` and
# every command's help names :func:`schema_id`, while only ``--json-schema`` (and the MCP
# server) reads a schema file. ``json``, ``copy`` and ``importlib.resources`` (which pulls in
# pathlib, tempfile, zipfile: about 6 ms) are imported by the functions that read one.

#: The prefix of every ``$id``; the rest is the ``schema`` value (``name/version``).
ID_PREFIX = "urn:seamless-config-services:schema:"

#: Schema name -> (package, file name) of its current version.
FILES: dict[str, tuple[str, str]] = {
    **{
        name: (__name__, f"{name}.schema.json")
        for name in (
            "seamless-service-ps",
            "seamless-service-ps-row",
            "seamless-service-resolve",
            "seamless-service-inspect",
            "seamless-service-logs",
            "seamless-service-start",
            "seamless-service-stop",
            "seamless-service-rm",
            "seamless-service-clear",
            "seamless-service-restart",
        )
    },
    "seamless-service-doctor": ("seamless_config_services.doctor", "report.schema.json"),
}

#: Schema name -> current version.
VERSIONS: dict[str, int] = {name: 1 for name in FILES}


def schema_id(name: str) -> str:
    """``seamless-service-stop`` -> ``seamless-service-stop/1``: the value of the documents'
    ``schema`` field."""
    return f"{name}/{VERSIONS[name]}"


def stamp(name: str, document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with its ``schema`` field set (first, for people reading it)."""
    return {"schema": schema_id(name), **{k: v for k, v in document.items() if k != "schema"}}


#: The package root (``seamless_config_services/``): a schema file of package ``a.b`` is at
#: ``<root>/b/<file>``, as every installation lays the package out on disk.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_RAW: dict[str, dict[str, Any]] = {}


def _read(package: str, filename: str) -> str:
    """The text of a schema file shipped in ``package``: read from the package directory,
    through ``importlib.resources`` only when it is not a plain directory (a zip import)."""
    path = os.path.join(_ROOT, *package.split(".")[1:], filename)
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        from importlib import resources

        return resources.files(package).joinpath(filename).read_text(encoding="utf-8")


def _raw(name: str) -> dict[str, Any]:
    """The schema file of ``name`` as parsed (read once per process; callers copy it)."""
    cached = _RAW.get(name)
    if cached is not None:
        return cached
    if name not in FILES:
        raise KeyError(f"unknown schema {name!r} (known: {', '.join(sorted(FILES))})")
    import json

    package, filename = FILES[name]
    data = json.loads(_read(package, filename))
    # Every file carries its $id (the doctor's too, since issue 17); a file without one would
    # still be served under the right id.
    data.setdefault("$id", ID_PREFIX + schema_id(name))
    _RAW[name] = dict(data)
    return _RAW[name]


def load(name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``name``, self-contained: every ``$ref`` to another
    of our schemas by ``$id`` points into this document's ``$defs`` (a fresh copy each call)."""
    import copy

    document = copy.deepcopy(_raw(name))
    defs: dict[str, Any] = document.setdefault("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(ID_PREFIX):
                other = ref[len(ID_PREFIX) :].split("/", 1)[0]
                if other not in defs:
                    sub = copy.deepcopy(_raw(other))
                    sub.pop("$schema", None)
                    sub.pop("$id", None)  # its own refs (#/$defs/...) are ours once inlined
                    defs[other] = {}
                    defs.update({k: v for k, v in sub.pop("$defs", {}).items() if k not in defs})
                    defs[other] = inline(sub)
                return {**{k: v for k, v in node.items() if k != "$ref"}, "$ref": f"#/$defs/{other}"}
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    document = inline(document)
    if not document["$defs"]:
        del document["$defs"]
    return dict(document)


def names() -> list[str]:
    """Every schema name, sorted."""
    return sorted(FILES)
