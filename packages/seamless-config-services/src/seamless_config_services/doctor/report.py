"""Rendering: the text report for people, the JSON document for agents."""

from __future__ import annotations

import json

from .model import OK, Check, Finding, Fix, Report

INDENT = "   "


def escape(text: str) -> str:
    """``text`` safe for a terminal: every non-printable character (ESC, BEL, C1 controls such
    as CSI, bidi overrides, ...) is shown as a Python escape (``\\x1b``), so a log line can
    neither set the window title (OSC), move the cursor, nor hide text. The JSON report keeps
    the text as it is (JSON escapes control characters itself)."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escaped(char) for char in text)


def _escaped(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def render_json(report: Report) -> str:
    """One JSON document (schema ``seamless-service-doctor/1``), keys sorted."""
    return json.dumps(report.as_json(), indent=2, sort_keys=True) + "\n"


def render_text(report: Report) -> str:
    """The whole report: the checks, the cleanups done (with --fix), the verdict."""
    text = render_checks(report)
    if report.fix_requested:
        text += "".join(line + "\n" for line in fix_results(report))
    return text + verdict_line(report)


def render_checks(report: Report) -> str:
    lines = [_headline(report), ""]
    for check in report.checks:
        lines.extend(_check_lines(check))
    return "\n".join(lines) + "\n"


def verdict_line(report: Report) -> str:
    return f"Verdict: {report.verdict.upper()} (exit {report.exit_code})\n"


def _headline(report: Report) -> str:
    selection = report.selection
    parts = [
        f"{name} {escape(str(selection[name]))}"
        for name in ("cluster", "project", "subproject", "stage")
        if selection.get(name)
    ]
    text = "seamless-service-doctor: " + (", ".join(parts) or "no selection")
    keys = selection.get("keys")
    if keys:
        text += f"; services: {escape(', '.join(keys))}"
    return text


def _check_lines(check: Check) -> list[str]:
    lines = [f"{check.number}. {check.title}: {check.verdict.upper()}"]
    if check.summary and len(check.findings) != 1:
        lines.append(f"{INDENT}{escape(check.summary)}")
    for finding in check.findings:
        lines.extend(_finding_lines(finding))
    lines.append("")
    return lines


def _finding_lines(finding: Finding) -> list[str]:
    lines = [f"{INDENT}[{finding.verdict}] {escape(finding.subject)}: {escape(finding.message)}"]
    if finding.verdict == OK:
        return lines
    for evidence in finding.evidence:
        code = "" if evidence.exit_code is None else f"   (exit {evidence.exit_code})"
        lines.append(f"{INDENT}   $ {escape(evidence.command)}{code}")
        lines.extend(f"{INDENT}     | {escape(line)}" for line in evidence.excerpt.split("\n"))
    if finding.next_step:
        lines.append(f"{INDENT}   next: {escape(finding.next_step)}")
    return lines


def fix_plan(fixes: list[Fix]) -> list[str]:
    """What --fix is about to do (printed before it does anything)."""
    if not fixes:
        return ["--fix: nothing to clean up"]
    lines = [f"--fix: {len(fixes)} safe cleanup(s):"]
    lines.extend(
        f"{INDENT}- {escape(fix.description)}   ({escape(fix.command)})"
        if fix.command
        else f"{INDENT}- {escape(fix.description)}"
        for fix in fixes
    )
    return lines


def fix_results(report: Report) -> list[str]:
    fixes = report.fixes
    if not fixes:
        return []
    lines = ["Cleanups:"]
    for fix in fixes:
        if fix.done:
            lines.append(f"{INDENT}done: {escape(fix.description)}")
        elif fix.done is False:
            lines.append(f"{INDENT}not done: {escape(fix.description)}: {escape(str(fix.error))}")
    lines.append("")
    return lines if len(lines) > 2 else []
