"""The plain data of a doctor report: verdicts, evidence, findings, checks, fixes.

A report must be readable by a person in a terminal and by an agent as JSON, from the same
objects, so everything here is a small dataclass with a ``as_json`` method and nothing else.
The JSON form is versioned (:data:`SCHEMA`) and described by ``report.schema.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA = "seamless-service-doctor/1"

OK = "ok"
WARNING = "warning"
PROBLEM = "problem"
#: A check that could not run because an earlier one failed (it does not change the exit code).
SKIPPED = "skipped"
VERDICTS = (OK, WARNING, PROBLEM)
_RANK = {OK: 0, SKIPPED: 0, WARNING: 1, PROBLEM: 2}

#: Exit codes: the worst verdict; usage errors use a code of their own so they stay distinct.
EXIT_OK = 0
EXIT_WARNING = 1
EXIT_PROBLEM = 2
EXIT_USAGE = 64


def worst(verdicts: list[str]) -> str:
    """The most serious verdict (``ok`` for none)."""
    best = OK
    for verdict in verdicts:
        if _RANK[verdict] > _RANK[best]:
            best = verdict
    return best


@dataclass
class Evidence:
    """What a person would run to see the same thing, and what it printed (trimmed)."""

    command: str
    excerpt: str = ""
    exit_code: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"command": self.command, "excerpt": self.excerpt, "exit_code": self.exit_code}


@dataclass
class Fix:
    """A safe, reversible cleanup the doctor can do with ``--fix``."""

    #: ``end-tunnel``, ``remove-tunnel-record`` or ``remove-client-file``.
    action: str
    key: str
    description: str
    #: The command a person would run for the same cleanup (None: no single command).
    command: str | None = None
    pid: int | None = None
    path: str | None = None
    #: The file content the finding was based on (the fix refuses if it changed meanwhile).
    expected: dict[str, Any] | None = None
    done: bool | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "key": self.key,
            "description": self.description,
            "command": self.command,
            "pid": self.pid,
            "path": self.path,
            "done": self.done,
            "error": self.error,
        }


@dataclass
class Finding:
    """One observation of a check about one subject (a host, a service key, a path)."""

    subject: str
    verdict: str
    message: str
    evidence: list[Evidence] = field(default_factory=list)
    next_step: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    fix: Fix | None = None

    @property
    def counted_verdict(self) -> str:
        """The verdict for the exit code: a cleanup that ``--fix`` did is no longer counted."""
        return OK if self.fix is not None and self.fix.done else self.verdict

    def as_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "verdict": self.verdict,
            "message": self.message,
            "evidence": [e.as_json() for e in self.evidence],
            "next_step": self.next_step,
            "details": self.details,
            "fix": self.fix.as_json() if self.fix is not None else None,
        }


@dataclass
class Check:
    """One step of the checklist; its verdict is the worst of its findings."""

    id: str
    number: int
    title: str
    findings: list[Finding] = field(default_factory=list)
    summary: str = ""
    skipped: bool = False

    @property
    def verdict(self) -> str:
        if self.skipped:
            return SKIPPED
        return worst([f.verdict for f in self.findings])

    @property
    def counted_verdict(self) -> str:
        if self.skipped:
            return SKIPPED
        return worst([f.counted_verdict for f in self.findings])

    def add(self, finding: Finding) -> Finding:
        self.findings.append(finding)
        return finding

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "title": self.title,
            "verdict": self.verdict,
            "summary": self.summary,
            "findings": [f.as_json() for f in self.findings],
        }


@dataclass
class Report:
    """The whole diagnosis: what was selected, the checks in order, and the fixes done."""

    selection: dict[str, Any] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    fix_requested: bool = False

    @property
    def fixes(self) -> list[Fix]:
        return [f.fix for c in self.checks for f in c.findings if f.fix is not None]

    @property
    def verdict(self) -> str:
        return worst([c.counted_verdict for c in self.checks])

    @property
    def exit_code(self) -> int:
        return {OK: EXIT_OK, WARNING: EXIT_WARNING, PROBLEM: EXIT_PROBLEM}[self.verdict]

    def check(self, check_id: str) -> Check:
        return next(c for c in self.checks if c.id == check_id)

    def as_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "selection": self.selection,
            "checks": [c.as_json() for c in self.checks],
            "fix_requested": self.fix_requested,
            "fixes": [f.as_json() for f in self.fixes if self.fix_requested],
        }


def excerpt(text: str, *, lines: int = 8, width: int = 240, tail: bool = True) -> str:
    """At most ``lines`` non-empty lines of ``text`` (the last ones by default), each cut at
    ``width`` characters: enough to recognise the output, short enough for a report."""
    kept = [line.rstrip() for line in text.splitlines() if line.strip()]
    kept = kept[-lines:] if tail else kept[:lines]
    return "\n".join(line if len(line) <= width else line[: width - 3] + "..." for line in kept)
