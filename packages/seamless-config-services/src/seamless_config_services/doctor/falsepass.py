"""Check 4: can cached data give a false pass? Persistent data with no process, or older than
the running instance, means a test may pass on results computed by other code."""

from __future__ import annotations

from typing import Any

from .. import dispatch
from .facts import Facts, checked, command, result_evidence, summary
from .model import OK, WARNING, Check, Finding
from .probe import GUARD_REJECTED, Service

# -- 4. false-pass risk -----------------------------------------------------------------------


def false_pass(facts: Facts) -> Check:
    check = Check("false-pass", 4, "False-pass risk (persistent data)")
    walked = [s for s in facts.services if s.walk_call is not None and checked(s, facts)]
    clears = [command("clear", s, facts.workdir) for s in facts.services if s.walk_call is not None]
    for svc in walked:
        finding = _data_finding(svc, facts, clears)
        if finding is not None:
            check.add(finding)
    if not walked:
        if any(s.walk_call is not None for s in facts.services):
            check.skipped = True
            check.summary = "not checked: no host could be asked (see check 1)"
        else:
            check.summary = "no service of the selection keeps persistent data"
        return check
    check.summary = summary(check, "data director(ies) without false-pass risk")
    return check


def _parse_time(text: Any) -> float | None:
    from datetime import datetime

    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def _data_finding(svc: Service, facts: Facts, clears: list[str]) -> Finding | None:
    assert svc.walk_call is not None
    result = svc.walk_result
    details: dict[str, Any] = {
        "key": svc.key,
        "host": svc.where,
        "path": None,
        "state": None,
        "size": None,
        "modified": None,
    }
    if not isinstance(result, dispatch.Result):
        return None
    evidence = [result_evidence(svc.walk_call, result)]
    if result.rc != 0:
        why = "rhl-guard refused the walk" if result.rc == GUARD_REJECTED else "rhl-ps-persistent failed"
        return Finding(
            svc.key,
            WARNING,
            f"cannot see the data directory {svc.resolution.workdir}: {why}: {result.error_line()}",
            evidence,
            "see the guard's path policy in check 1"
            if result.rc == GUARD_REJECTED
            else "run the command above by hand",
            details,
        )
    if not svc.walk_rows:  # the directory exists but lacks the service's marker file
        return Finding(
            svc.key, OK, "no cached data (no data directory of this service yet)", evidence, None, details
        )
    row = svc.walk_rows[0]
    details.update({k: row.get(k) for k in ("path", "state", "size", "modified")})
    state = row.get("state")
    if state != "populated":
        return Finding(svc.key, OK, f"{state}: a cold cache", evidence, None, details)
    size = f"{row.get('size')} bytes, " if isinstance(row.get("size"), int) else ""
    cold = (
        "for a true cold-cache run stop the services, clear both caches ("
        + "; ".join(clears)
        + "), restart and re-run: only a pass on a cold cache is meaningful"
    )
    if svc.status not in ("running", "starting"):
        return Finding(
            svc.key,
            WARNING,
            f"populated ({size}last modified {row.get('modified')}) while no process runs: the next start "
            "serves these cached results, so a pass proves nothing",
            evidence,
            cold,
            details,
        )
    modified = _parse_time(row.get("modified"))
    launched = svc.row.get("launched_at") if svc.row else None
    # 'modified' has whole seconds: a directory written in the launch's own second is not older.
    if isinstance(launched, (int, float)) and modified is not None and modified + 1.0 < launched:
        return Finding(
            svc.key,
            WARNING,
            "populated with data from before the running instance "
            f"(data last modified {row.get('modified')}, "
            "instance launched later): cached results may come from older code",
            evidence,
            cold,
            details,
        )
    return Finding(
        svc.key,
        OK,
        f"populated ({size}last modified after the running instance started): a warm cache for later runs",
        evidence,
        None,
        details,
    )
