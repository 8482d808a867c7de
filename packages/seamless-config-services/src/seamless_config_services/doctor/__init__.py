"""``seamless-service-doctor``: the seeds' remote-debugging checklist as one command.

:func:`diagnose` runs the checks in the guide's order (configuration, then 1. reachability,
2. service state, 3. server-side logs, 4. false-pass risk, 5. local leftovers) and returns a
:class:`~.model.Report`; :mod:`.fix` does the safe cleanups; :mod:`.report` renders text and
the versioned JSON (``report.schema.json``).
"""

from __future__ import annotations

from .diagnose import diagnose
from .model import SCHEMA, Report

__all__ = ["SCHEMA", "Report", "diagnose"]
