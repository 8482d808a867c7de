"""The path fragments and key pieces every built-in service type is made of (spec §2.2).

seamless-config 0.3.2 spliced these fragments into text templates that the launcher then
evaluated as Python f-strings; we compute the same strings directly, so a name can never be
evaluated as code (weak point 21), and the keys and workdirs stay byte-identical.

* ``P``  = :func:`project_dir`: ``/project`` plus ``/subproject`` when one is set;
* ``S``  = :func:`stage_dir`: ``/STAGE-stage`` when a stage is set;
* ``SS`` = :func:`stage_substage_dir`: ``S`` followed directly by ``SUBSTAGE-substage`` when
  both a stage and a substage are set (a substage without a stage is ignored);
* :func:`suffix` turns ``P + S`` (or ``P + SS``) into the last part of a key.

Empty strings count as "not set", as in 0.3.2.
"""

from __future__ import annotations

STAGE_PREFIX = "STAGE-"
SUBSTAGE_PREFIX = "SUBSTAGE-"
#: What separates path components inside a key (a key cannot hold ``/``).
KEY_SEPARATOR = "--"
#: Where the launcher keeps each service's own log on the frontend (0.3.2's ``log_file``).
LAUNCHER_LOG_ROOT = "~/.remote-http-launcher/logs"
#: Where the server log of a key lives on the frontend (``rhl-logs`` reads it from there).
SERVER_DIR = "~/.remote-http-launcher/server"


def present(value: str | None) -> str | None:
    """``value``, or ``None`` when it is unset or empty (0.3.2 treats both alike)."""
    return value if value else None


def project_dir(project: str, subproject: str | None) -> str:
    """``P``: ``/project[/subproject]``."""
    fragment = "/" + project
    if present(subproject):
        fragment += "/" + str(subproject)
    return fragment


def stage_dir(stage: str | None) -> str:
    """``S``: ``/STAGE-stage``, or empty without a stage."""
    return "/" + STAGE_PREFIX + stage if stage else ""


def stage_substage_dir(stage: str | None, substage: str | None) -> str:
    """``SS``: ``S`` plus ``SUBSTAGE-substage`` (no separator) when both are set."""
    if not stage:
        return ""
    if substage:
        return stage_dir(stage) + SUBSTAGE_PREFIX + substage
    return stage_dir(stage)


def suffix(path: str) -> str:
    """The key form of a path fragment: outer ``/`` stripped, inner ``/`` turned into ``--``."""
    return path.strip("/").replace("/", KEY_SEPARATOR)


def launcher_log_files(directory: str, name: str) -> tuple[str, str]:
    """``(log_file, debug_log_file)`` of the launcher for a service logging as ``name``
    in ``~/.remote-http-launcher/logs/<directory>``."""
    base = f"{LAUNCHER_LOG_ROOT}/{directory}/{name}"
    return base + ".log", base + ".debug.log"


def server_log_path(key: str) -> str:
    """The service's own log on its host, as ``seamless-service-resolve`` reports it."""
    return f"{SERVER_DIR}/{key}.log"


def escape_template(text: object) -> str:
    """``text`` as a literal inside a launcher command template (braces doubled).

    The launcher evaluates the command as the body of an f-string to fill in
    ``{status_file}``; every value we render ourselves must come out unchanged."""
    return str(text).replace("{", "{{").replace("}", "}}")
