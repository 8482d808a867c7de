"""The seeds' table of server-log errors: which error means what, and where to fix it.

A client sees a connection error; the server's log says why. The table below is the
debugging guide's "common cross-repo failure patterns", as data: the newest matching line of
a log decides (a service may have logged an old error before the one that killed it), and the
classification names the layer and the repository where the fix belongs, so nobody patches the
client for a server-side dependency break.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .model import excerpt

#: Which repository (or package) each built-in service comes from (the seeds' topology table).
REPOSITORIES = {
    "hashserver": "hashserver",
    "database": "seamless-database",
    "jobserver": "seamless-transformer (seamless-jobserver)",
    "daskserver": "seamless-dask (seamless-dask-wrapper)",
    "pure-daskserver": "seamless-dask (seamless-dask-wrapper)",
}


def repository(service: str | None) -> str:
    """The repository of ``service``; a plugin's type names its own."""
    if not service:
        return "the service's own repository"
    return REPOSITORIES.get(service, f"the repository of the {service} service type")


@dataclass(frozen=True)
class Rule:
    """One row of the table."""

    id: str
    pattern: re.Pattern[str]
    cause: str
    #: Layer and place to fix; ``{repo}`` is the service's repository.
    fix_in: str
    next_step: str


RULES: tuple[Rule, ...] = (
    Rule(
        "dependency-api-change",
        re.compile(
            r"TypeError: .*(unexpected keyword argument|got multiple values for argument"
            r"|missing \d+ required (positional|keyword-only) arguments?"
            r"|takes \d+ positional arguments? but \d+ (were|was) given)"
        ),
        "a dependency changed its API (e.g. Starlette removed a parameter) and the service still "
        "calls it the old way",
        "the server repository: {repo} (not the client, not the test)",
        "fix {repo} (or pin the dependency), reinstall it in the frontend's environment, restart "
        "the service, then clear the cache and re-run on a cold cache",
    ),
    Rule(
        "import-error",
        re.compile(r"(ImportError: cannot import name|ModuleNotFoundError: No module named|ImportError: )"),
        "a package version mismatch or a missing install in the service's environment",
        "the environment on the frontend (the 'conda' field of the cluster YAML), not {repo}'s code",
        "install the missing or matching package version into that environment, then restart the service",
    ),
    Rule(
        "address-in-use",
        re.compile(r"(\[Errno 98\]|[Aa]ddress already in use)"),
        "a previous instance (or another program) still holds the port",
        "the deployment on the frontend: an old process, not {repo}'s code",
        "find the old instance (seamless-service-ps --server) and stop it with seamless-service-stop; "
        "a process the launcher did not start must be ended on the host by whoever owns it",
    ),
    Rule(
        "dask-worker",
        re.compile(
            r"(KilledWorker|distributed\.(worker|nanny|scheduler)\s*-\s*(ERROR|CRITICAL)"
            r"|dask_jobqueue.*(Error|error)|CommClosedError)"
        ),
        "Dask workers failed: a wrong conda environment on the worker nodes, or a worker cannot "
        "reach the hashserver or the database",
        "the worker nodes' environment or network (seamless-dask), not the client",
        "check the worker logs (Dask dashboard) and that workers reach the hashserver and the database",
    ),
)

#: Any other Python exception at the end of a traceback.
_EXCEPTION = re.compile(r"^\s*([A-Za-z_][\w.]*(Error|Exception))\b(:.*)?$")
#: What a normal stop leaves in a log (SIGINT during a request, cancelled tasks): not a fault.
_STOP_ARTEFACTS = re.compile(r"^\s*(asyncio\.(exceptions\.)?)?CancelledError\b")
_TRACEBACK = "Traceback (most recent call last):"
CONTEXT = 40  # lines searched back from an error for its traceback


@dataclass(frozen=True)
class Classification:
    id: str
    error: str
    cause: str
    fix_in: str
    next_step: str
    excerpt: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "error": self.error,
            "cause": self.cause,
            "fix_in": self.fix_in,
            "next_step": self.next_step,
        }


def classify(log: str, service: str | None) -> Classification | None:
    """The newest known error in ``log`` (or the newest unclassified traceback), or None."""
    lines = log.splitlines()
    repo = repository(service)
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        for rule in RULES:
            if rule.pattern.search(line):
                return Classification(
                    rule.id,
                    line.strip(),
                    rule.cause,
                    rule.fix_in.format(repo=repo),
                    rule.next_step.format(repo=repo),
                    _context(lines, index),
                )
        if _EXCEPTION.match(line) and not _STOP_ARTEFACTS.match(line) and _after_traceback(lines, index):
            return Classification(
                "unclassified-traceback",
                line.strip(),
                "an error that is not in the table",
                f"the package that the traceback's innermost frame names ({repo} or a dependency)",
                "read the full log (seamless-service-logs) and follow the traceback to its package",
                _context(lines, index),
            )
    return None


def _after_traceback(lines: list[str], index: int) -> bool:
    return any(line.startswith(_TRACEBACK) for line in lines[max(0, index - CONTEXT) : index])


def _context(lines: list[str], index: int) -> str:
    """The error line with the end of its traceback (when there is one) before it."""
    start = index
    for back in range(index, max(-1, index - CONTEXT), -1):
        if lines[back].startswith(_TRACEBACK):
            start = back
            break
    return excerpt("\n".join(lines[start : index + 1]), lines=8)
