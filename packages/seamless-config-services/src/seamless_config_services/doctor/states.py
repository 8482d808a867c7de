"""Checks 2 and 3: the state of each service (PID identity, port, handshake) and its
server-side log, read before any cleanup and classified by the seeds' table."""

from __future__ import annotations

from typing import Any

from .. import dispatch
from . import classify
from .facts import Facts, checked, command, compact, result_evidence, summary
from .model import OK, PROBLEM, WARNING, Check, Evidence, Finding, excerpt
from .probe import LOG_TAIL, Service

# -- 2. service state -------------------------------------------------------------------------


def services(facts: Facts) -> Check:
    check = Check("services", 2, "Service state")
    unchecked = sorted({svc.where for svc in facts.services if not checked(svc, facts)})
    for svc in facts.services:
        if checked(svc, facts):
            check.add(_service_finding(svc, facts))
            if svc.runtime is not None:
                check.add(_runtime_finding(svc, facts))
    if not check.findings:
        check.skipped = True
        check.summary = "not checked: no host could be asked (see check 1)"
        return check
    services_only = Check(check.id, check.number, check.title)
    services_only.findings = [f for f in check.findings if f.details.get("kind") != "runtime"]
    check.summary = summary(services_only, "service(s) in order")
    differing = sum(1 for f in check.findings if f.details.get("kind") == "runtime" and f.verdict != OK)
    if differing:
        check.summary += f"; {differing} run(s) code from another environment than this client's"
    if unchecked:
        check.summary += f"; not checked on {', '.join(unchecked)} (see check 1)"
    return check


def _state_evidence(svc: Service, facts: Facts) -> Evidence:
    """The host's ``rhl-ps --json`` call and the fields of this key's row it printed (the
    evidence names the command that printed it; the next steps name the commands to run)."""
    host = facts.hosts.get(svc.target)
    name = host.ps_call.command_line() if host is not None and host.ps_call is not None else "rhl-ps --json"
    if svc.row is None:
        return Evidence(name, "", 0)
    shown = {
        k: svc.row.get(k)
        for k in ("key", "status", "json_status", "pid", "port", "stale_reason", "error", "exit", "leftovers")
        if svc.row.get(k) is not None
    }
    return Evidence(name, compact(shown), 0)


def _service_finding(svc: Service, facts: Facts) -> Finding:
    evidence = [_state_evidence(svc, facts)]
    details: dict[str, Any] = {"key": svc.key, "host": svc.where, "status": svc.status, "port": svc.port}
    status = svc.status
    subject = svc.key
    restart = command("restart", svc, facts.workdir)
    if status == "absent":
        return Finding(
            subject, OK, "not running (no state file): it is started on demand", evidence, None, details
        )
    pid = svc.row.get("pid") if svc.row else None
    if status in ("running", "starting"):
        identity = (
            f"PID {pid} alive and the same process as at launch (start time checked)"
            if svc.row is not None and svc.row.get("pid_start_time") is not None
            else f"PID {pid} alive (no start time recorded: an older launcher wrote this state)"
        )
        details["pid"] = pid
        if status == "starting":
            return Finding(
                subject,
                WARNING,
                f"starting ({identity}); it has not reported a port yet",
                evidence,
                f"wait; if it stays 'starting', read its log: {command('logs', svc, facts.workdir)}",
                details,
            )
        port_ok = isinstance(svc.port_result, dispatch.Result) and svc.port_result.rc == 0
        if svc.port_call is not None:
            evidence.append(result_evidence(svc.port_call, svc.port_result))
        if not port_ok:
            return Finding(
                subject,
                PROBLEM,
                f"running according to its state ({identity}), "
                f"but port {svc.port} does not accept connections",
                evidence,
                f"read its log (check 3), then restart it: {restart}",
                details,
            )
        if svc.handshake_call is not None:
            evidence.append(result_evidence(svc.handshake_call, svc.handshake_result))
            if not (isinstance(svc.handshake_result, dispatch.Result) and svc.handshake_result.rc == 0):
                line = (
                    svc.handshake_result.error_line()
                    if isinstance(svc.handshake_result, dispatch.Result)
                    else str(svc.handshake_result)
                )
                return Finding(
                    subject,
                    PROBLEM,
                    f"port {svc.port} accepts connections but the handshake failed: {line}",
                    evidence,
                    f"read its log (check 3): the service is up but does not serve; then {restart}",
                    details,
                )
        answered = "and answers its handshake" if svc.handshake_call is not None else "(no handshake known)"
        return Finding(
            subject,
            OK,
            f"running: {identity}; port {svc.port} accepts connections {answered}",
            evidence,
            None,
            details,
        )
    rm = command("rm", svc, facts.workdir)
    stop = command("stop", svc, facts.workdir)
    if status == "untracked":
        details["pid"] = pid
        return Finding(
            subject,
            PROBLEM,
            f"untracked: a process of this key still runs (PID {pid if pid is not None else 'unknown'}) "
            "but its state file is gone, so no port or log path is known and a new start is refused",
            evidence,
            f"stop it (the server finds it by its service lock): {stop}; then {restart}",
            details,
        )
    group = svc.row.get("leftovers") if svc.row else None
    if status in ("stale", "failed") and isinstance(group, list) and group:
        details["leftovers"] = group
        return Finding(
            subject,
            PROBLEM,
            f"{status}: its main process is gone, but processes of its group still run "
            f"(PIDs {', '.join(str(p) for p in group)}): workers left behind, invisible to the service",
            evidence,
            f"stop them: {stop} (it signals the group's survivors); then {rm}",
            details,
        )
    if status == "failed":
        return Finding(
            subject,
            PROBLEM,
            "failed to start",
            evidence,
            f"read its log (check 3), fix the cause, then {restart}",
            details,
        )
    if status == "corrupt":
        return Finding(
            subject,
            PROBLEM,
            f"its state file is corrupt: {svc.row.get('error') if svc.row else ''}",
            evidence,
            f"{rm} (the log stays)",
            details,
        )
    if status == "stale" and svc.exit_record is not None:
        details["exit"] = svc.exit_record
    if status == "stale" and svc.exit_reason is not None and svc.exit_reason != "stopped":
        return _exit_finding(svc, facts, evidence, details)
    if status == "stale" and svc.crashed:
        reason = svc.row.get("stale_reason") if svc.row else None
        return Finding(
            subject,
            PROBLEM,
            f"stale: the state says {svc.row.get('json_status') if svc.row else '?'} "
            f"but {reason or 'its process is gone'} "
            "(it died without being stopped)",
            evidence,
            f"read its log first (check 3), then {rm}; the next run launches it afresh",
            details,
        )
    if status == "stale":
        return Finding(
            subject,
            WARNING,
            "stale: stopped, its state file is kept for post-mortem",
            evidence,
            f"read its log if it misbehaved (check 3), then {rm}; the next run launches it afresh",
            details,
        )
    return Finding(
        subject,
        WARNING,
        f"unexpected status {status!r}",
        evidence,
        f"{command('inspect', svc, facts.workdir)}",
        details,
    )


def _runtime_finding(svc: Service, facts: Facts) -> Finding:
    """ "A local fix is not a live fix": what the service runs (its host's
    ``rhl-inspect --runtime``), against this client's environment."""
    from . import runtime as rt

    info: rt.Runtime = svc.runtime
    subject = f"{svc.key} (runtime)"
    details: dict[str, Any] = {"key": svc.key, "kind": "runtime", **info.as_json()}
    call = svc.runtime_call
    result = svc.runtime_result
    if call is not None and isinstance(result, dispatch.Result):
        evidence = [Evidence(call.command_line(), excerpt(info.answer or result.stderr), result.rc)]
    else:
        evidence = [result_evidence(call, result)] if call is not None else []
    if info.older:
        return Finding(
            subject,
            OK,
            f"{rt.OLDER} (its rhl-inspect has no --runtime; upgrade remote-http-launcher on "
            f"{info.host} to have it checked)",
            evidence,
            None,
            details,
        )
    shown = " ".join(info.argv[:2]) or str(info.exe)
    if info.service is None:
        return Finding(
            subject, OK, f"runs {shown} (executable {info.exe}); {info.error}", evidence, None, details
        )
    where = f"{rt.describe(info.service)} in {info.service.get('prefix')}"
    if not info.local:
        where += f" on {info.host}"
    differences = info.differences
    if not differences:
        live = (
            f"; editable: a change in {info.service.get('location')} is live after a restart"
            if info.service.get("editable")
            else ""
        )
        if info.local:
            same = "the same environment as this client"
        elif info.client is not None and not info.client.get("distribution"):
            same = f"this client has no {info.command}: nothing here to compare with"
        else:
            same = f"{info.command} is the same distribution as on this client"
        return Finding(subject, OK, f"runs {shown} ({where}): {same}{live}", evidence, None, details)
    into = f"{info.service.get('prefix')}" + ("" if info.local else f" on {info.host}")
    return Finding(
        subject,
        WARNING,
        f"runs {shown} ({where}), not what this client has: " + "; ".join(differences),
        evidence,
        f"a fix in this client's environment is not live for the service: install it into "
        f"{into} ({info.service.get('executable')} -m pip install ...), then "
        f"{command('restart', svc, facts.workdir)}",
        details,
    )


SIGNALS = {1: "SIGHUP", 2: "SIGINT", 6: "SIGABRT", 9: "SIGKILL", 11: "SIGSEGV", 15: "SIGTERM"}


def idle_timeout(svc: Service) -> str | None:
    """The ``--timeout`` the service was launched with (its own idle limit), as text."""
    import shlex

    for source in (
        (svc.row or {}).get("command"),
        (svc.resolution.launcher_config.get("command") if svc.resolution is not None else None),
    ):
        if not isinstance(source, str):
            continue
        try:
            words = shlex.split(source)
        except ValueError:
            continue
        for index, word in enumerate(words):
            if word == "--timeout" and index + 1 < len(words):
                return words[index + 1]
            if word.startswith("--timeout="):
                return word.split("=", 1)[1]
    return None


def _exit_finding(svc: Service, facts: Facts, evidence: list[Evidence], details: dict[str, Any]) -> Finding:
    """A stale service whose exit was recorded: idle (information), an error exit, a signal."""
    record = svc.exit_record or {}
    rm = command("rm", svc, facts.workdir)
    if svc.exit_reason == "idle":
        limit = idle_timeout(svc)
        why = f"its own --timeout {limit}: no request for {limit} s" if limit else "its own --timeout"
        return Finding(
            svc.key,
            OK,
            f"exited after its idle timeout ({why}); it is started again on demand",
            evidence,
            "nothing to fix: the next run starts it again (or "
            f"{command('start', svc, facts.workdir)}); to keep it longer, see the idle timeout in "
            "docs/services/guide.md",
            details,
        )
    if svc.exit_reason == "killed":
        number = record.get("signal")
        name = SIGNALS.get(number) if isinstance(number, int) else None
        signal_text = f"signal {number} ({name})" if name else f"signal {number}"
        return Finding(
            svc.key,
            PROBLEM,
            f"stale: it was killed by {signal_text}, not by us",
            evidence,
            "read its log first (check 3; an out-of-memory kill leaves no line there: see the host's "
            f"kernel log), then {rm}; the next run launches it afresh",
            details,
        )
    code = record.get("code")
    return Finding(
        svc.key,
        WARNING if code == 0 else PROBLEM,
        f"stale: it exited on its own with status {code} (not stopped by us)",
        evidence,
        f"read its log first (check 3), then {rm}; the next run launches it afresh",
        details,
    )


# -- 3. server-side logs ----------------------------------------------------------------------

_BROKEN = ("failed", "corrupt")


def logs(facts: Facts) -> Check:
    check = Check("logs", 3, "Server-side logs (read before any cleanup)")
    for svc in facts.services:
        if not checked(svc, facts):
            continue
        finding = _log_finding(svc, facts)
        if finding is not None:
            check.add(finding)
    if not any(checked(s, facts) for s in facts.services):
        check.skipped = True
        check.summary = "not checked: no host could be asked (see check 1)"
        return check
    check.summary = summary(check, "log(s) without known errors") if check.findings else "no logs to read"
    return check


def _log_finding(svc: Service, facts: Facts) -> Finding | None:
    result = svc.log_result
    if svc.log_call is None or not isinstance(result, dispatch.Result):
        return None
    broken = svc.status in _BROKEN or svc.crashed
    details: dict[str, Any] = {
        "key": svc.key,
        "host": svc.where,
        "status": svc.status,
        "classification": None,
    }
    logs_command = command("logs", svc, facts.workdir, "--tail", str(LOG_TAIL))
    if result.rc != 0:
        if svc.status == "absent":
            return None
        launcher_log = svc.resolution.launcher_config.get("log_file") if svc.resolution is not None else None
        where = f" on {svc.where}" if svc.target else ""
        step = "check the cluster/project/stage/mode (seamless-service-resolve)"
        if launcher_log:
            step = f"read the launcher's own progress log {launcher_log}{where}; " + step
        return Finding(
            svc.key,
            PROBLEM if broken else WARNING,
            f"no log to read ({result.error_line()})",
            [Evidence(svc.log_call.command_line(), excerpt(result.stderr), result.rc)],
            step,
            details,
        )
    found = classify.classify(result.stdout, svc.service)
    if found is None:
        evidence = [Evidence(logs_command, excerpt(result.stdout, lines=4), 0)]
        if broken:
            return Finding(
                svc.key,
                PROBLEM,
                f"the service is {svc.status}, but the last {LOG_TAIL} log lines show no known error",
                evidence,
                f"read the whole log: {command('logs', svc, facts.workdir)}",
                details,
            )
        return Finding(svc.key, OK, f"no error in the last {LOG_TAIL} lines", evidence, None, details)
    details["classification"] = found.as_json()
    verdict = PROBLEM if broken else WARNING
    state = "" if broken else f" (the service is {svc.status}; requests may still fail)"
    return Finding(
        svc.key,
        verdict,
        f"{found.error} -> {found.cause}; fix in {found.fix_in}{state}",  # fix_in: a place
        [Evidence(logs_command, found.excerpt, 0)],
        found.next_step,
        details,
    )
