"""Checks 0 and 1 of the seeds' debugging checklist: the configuration, and whether each
frontend answers over SSH with the helpers installed (and behind which guard)."""

from __future__ import annotations

import shlex
from typing import Any

from remote_http_launcher.transport import helpers_missing

from .. import dispatch
from .facts import Facts, compact, flags, result_evidence, summary
from .model import OK, PROBLEM, WARNING, Check, Evidence, Finding, excerpt
from .probe import GUARD_REJECTED, Host

NO_POLICY_MARK = "configure rhl-guard with one path-policy flag"
SERVER_INSTALL = (
    "pip install remote-http-launcher on {where}, into the system Python (root) or the conda base "
    "env ($HOME/miniforge3 or $HOME/miniconda3); this is a deployment problem: fix the server "
    "install first, do not patch client code"
)


# -- 0. configuration -------------------------------------------------------------------------


def configuration_failed(message: str, workdir: str | None) -> Check:
    check = Check("configuration", 0, "Configuration")
    check.add(
        Finding(
            "configuration",
            PROBLEM,
            message,
            [Evidence(("seamless-service-resolve " + flags({}, workdir)).strip(), message)],
            "fix the file and field the message names (docs/services/configuration.md), or pass "
            "--cluster / --project / --stage explicitly",
        )
    )
    check.summary = message
    return check


def configuration(facts: Facts) -> Check:
    check = Check("configuration", 0, "Configuration")
    evidence = []
    for resolution in facts.resolutions:
        data = resolution.as_json()
        shown = {k: data[k] for k in ("key", "ssh_hostname", "workdir", "log_path")}
        evidence.append(
            Evidence(f"seamless-service-resolve {flags(resolution.meta, facts.workdir)}", compact(shown), 0)
        )
    keys = ", ".join(r.key for r in facts.resolutions)
    check.add(
        Finding(
            f"cluster {facts.cluster}",
            OK,
            f"{len(facts.resolutions)} service(s) resolved: {keys}",
            evidence,
            None,
            {"left_out": facts.left_out},
        )
    )
    check.summary = f"cluster {facts.cluster}, {len(facts.resolutions)} service(s)"
    return check


# -- 1. reachability --------------------------------------------------------------------------


def reachability(facts: Facts) -> Check:
    check = Check("reachability", 1, "Hosts and helpers (reachability)")
    for host in facts.hosts.values():
        check.add(_host_finding(host, facts))
    check.summary = summary(check, "host(s) reachable with the helpers installed")
    return check


def _host_finding(host: Host, facts: Facts) -> Finding:
    where = host.where
    evidence: list[Evidence] = []
    if host.probe is not None:
        evidence.append(
            Evidence(host.probe.command, excerpt(host.probe.stderr + host.probe.stdout), host.probe.rc)
        )
    if host.session is not None:  # the session record of the batch that also ran rhl-ps
        assert host.ps_call is not None
        line = shlex.join([host.ps_call.helper, *host.ps_call.args])
        batch = dispatch.Call(host.target, "rhl-batch", ("--session", line))
        evidence.append(Evidence(batch.command_line(), excerpt(host.session.stdout), host.session.rc))
    if host.unreachable is not None:
        return Finding(
            where,
            PROBLEM,
            host.unreachable,
            evidence,
            f"check frontends[].ssh_hostname (vs hostname) of cluster {facts.cluster} in the cluster "
            f"YAML, and that 'ssh {where} true' works without a password (the commands use BatchMode)",
            {"reachable": False, "guard": None},
        )
    assert host.ps_call is not None
    if host.ps_error is not None:
        evidence.append(Evidence(host.ps_call.command_line(), host.ps_error.message, host.ps_error.exit_code))
        missing = host.ps_error.exit_code == 127
        return Finding(
            where,
            PROBLEM,
            host.ps_error.message,
            evidence,
            SERVER_INSTALL.format(where=where) if missing else "see the error; run the command above by hand",
            {"reachable": True, "guard": host.guard, "helpers": "missing" if missing else "failing"},
        )
    assert host.ps is not None
    evidence.append(result_evidence(host.ps_call, host.ps))
    if host.ps.rc != 0:
        line = host.ps.error_line()
        fix_it = (
            "the administrator fixes rhl-guard's options in authorized_keys (rhl-guard ... --dry-run)"
            if host.ps.rc == 78
            else "run the command above by hand and fix what it reports"
        )
        return Finding(
            where,
            PROBLEM,
            f"rhl-ps failed on {where} (exit {host.ps.rc}): {line}",
            evidence,
            fix_it,
            {"reachable": True, "guard": host.guard, "helpers": "failing"},
        )
    if host.target is None:
        from remote_http_launcher import __version__

        return Finding(
            where,
            OK,
            f"local cluster: the helpers run in this process (remote-http-launcher {__version__})",
            evidence,
            None,
            {"reachable": True, "guard": None, "helpers": "installed"},
        )
    parts = [f"{where} answers over SSH; the rhl-* helpers run"]
    details: dict[str, Any] = {"reachable": True, "guard": host.guard, "helpers": "installed"}
    verdict = OK
    step: str | None = None
    if host.plain is not None:
        evidence.append(
            Evidence(host.plain.command, excerpt(host.plain.stdout + host.plain.stderr), host.plain.rc)
        )
        if host.plain.rc == 0:
            parts.append("they are on the default PATH")
            details["path"] = "default"
        elif helpers_missing(host.plain.rc, host.plain.stderr):
            parts.append(
                "only with the PATH prepend (a conda base install): seamless-service-* and the launcher "
                "add it, scripts and agents calling rhl-* over ssh must add "
                "'PATH=$HOME/miniforge3/bin:$HOME/miniconda3/bin:$PATH' themselves"
            )
            details["path"] = "prepend-only"
    if host.guard is True:
        if host.session is not None:
            parts.append("rhl-guard is installed (it ran the helpers' batch, its session record says)")
        else:
            parts.append("rhl-guard is installed (it rejected the probe with exit 77)")
        policy, verdict, step = _guard_policy(host, facts)
        parts.append(policy)
    elif host.guard is False:
        parts.append("no rhl-guard (a plain shell answered)")
    elif host.session is not None:
        parts.append("a forced command other than rhl-guard runs the helpers (SSH_ORIGINAL_COMMAND is set)")
    elif host.probe is not None:
        parts.append(
            f"the guard probe returned exit {host.probe.rc} ({host.probe.error_line()}): "
            "a forced command other than rhl-guard?"
        )
    return Finding(where, verdict, "; ".join(parts), evidence, step, details)


def _guard_policy(host: Host, facts: Facts) -> tuple[str, str, str | None]:
    """What the walks of this host's data directories tell about the guard's path policy."""
    refusals = [
        svc
        for svc in facts.services
        if svc.target == host.target
        and isinstance(svc.walk_result, dispatch.Result)
        and svc.walk_result.rc == GUARD_REJECTED
    ]
    walked = [svc for svc in facts.services if svc.target == host.target and svc.walk_call is not None]
    for svc in refusals:
        assert isinstance(svc.walk_result, dispatch.Result)
        if NO_POLICY_MARK in svc.walk_result.stderr:
            return (
                "it has NO path policy: rhl-launch-service --workdir, rhl-clear and rhl-ps-persistent are "
                "refused, so no service can be started here",
                PROBLEM,
                "the administrator adds one path-policy option to the guard's authorized_keys line "
                "(--data-roots FILE, recommended, or --clear-policy seamless; docs/guard/admin-guide.md)",
            )
    if refusals:
        svc = refusals[0]
        assert isinstance(svc.walk_result, dispatch.Result)
        reason = svc.walk_result.error_line()
        kind = (
            "a --data-roots policy"
            if "data-roots" in reason
            else "a marker policy"
            if "marker" in reason
            else "its path policy"
        )
        return (
            f"{kind} refuses the data directory {svc.resolution.workdir}: {reason}",
            WARNING,
            "the administrator allows the directory in the guard's policy (e.g. a 'clear, workdir:' line "
            "in the data-roots file), or bufferdir/database_dir in the cluster YAML is wrong",
        )
    if walked:
        return "its path policy allows the selection's data directories", OK, None
    return "its path policy is not visible to a client (the administrator: rhl-guard ... --dry-run)", OK, None
