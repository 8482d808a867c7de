"""What ``seamless-service-doctor`` does, as one function the click command calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import fix as fixing
from . import report as rendering
from .diagnose import diagnose


def run(request: Any, *, as_json: bool, fix: bool, write: Callable[[str], None]) -> int:
    """Diagnose, print, and with ``fix`` do the safe cleanups (announced first); the exit code."""
    report = diagnose(request)
    report.fix_requested = fix
    planned = fixing.planned(report) if fix else []
    if as_json:
        fixing.apply(planned)
        write(rendering.render_json(report))
        return report.exit_code
    write(rendering.render_checks(report))
    if fix:
        write("".join(line + "\n" for line in rendering.fix_plan(planned)))
        fixing.apply(planned)
        write("".join(line + "\n" for line in rendering.fix_results(report)))
    write(rendering.verdict_line(report))
    return report.exit_code
