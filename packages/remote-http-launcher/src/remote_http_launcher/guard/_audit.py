"""The guard's audit trail: every rejection, with what, why and which key.

Two places, so that an administrator finds it whatever the machine:

* **syslog** (facility ``authpriv``, ident ``rhl-guard``, next to sshd's own lines), when
  ``/dev/log`` exists: rejections at ``warning``, accepted commands at ``info``;
* a **JSON-lines file**, one object per rejection, by default
  ``<state dir>/guard/rejected.jsonl`` (``--audit-log FILE`` elsewhere), created 0600 in a
  0700 directory, appended with one ``write`` per line, and rotated to ``.1`` beyond
  :data:`ROTATE_BYTES` so that a hostile client cannot fill the disk.

"Which key": the ``--label`` given in the ``authorized_keys`` line, the key's SHA256
fingerprint when sshd exposes it (``ExposeAuthInfo yes`` sets ``SSH_USER_AUTH``), the
account and the client address (``SSH_CONNECTION``).

The guard runs on every SSH call, so this module avoids ``json``/``logging``/``hashlib``
(each costs milliseconds): JSON is written by :func:`_json_string`, and the fingerprint is
computed only on rejection. Failing to write the audit trail never changes a decision.
"""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

ROTATE_BYTES = 8 << 20
MAX_COMMAND_LOGGED = 4096
_SYSLOG_SOCKET = "/dev/log"


class _Context:
    label: str | None = None
    audit_file: str | None = None
    policy: str | None = None


context = _Context()


def configure(label: str | None, audit_file: str | None, policy: str | None) -> None:
    context.label = label
    context.audit_file = audit_file
    context.policy = policy


def _json_string(text: str) -> str:
    out = ['"']
    for char in text:
        code = ord(char)
        if char == '"' or char == "\\":
            out.append("\\" + char)
        elif code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF or code in (0x2028, 0x2029):
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _json_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_json_value(v) for v in value) + "]"
    return _json_string(str(value))


def json_line(record: dict[str, Any]) -> str:
    """One JSON object (keys sorted), as ``json.dumps(record, sort_keys=True)`` would print it."""
    return "{" + ", ".join(f"{_json_string(k)}: {_json_value(record[k])}" for k in sorted(record)) + "}\n"


def printable(text: str, limit: int = MAX_COMMAND_LOGGED) -> str:
    """``text`` cut to ``limit`` characters, non-printable characters as escapes (for syslog)."""
    cut = text[:limit]
    if not cut.isprintable():
        cut = cut.encode("unicode_escape", "backslashreplace").decode("ascii")
    return cut + ("..." if len(text) > limit else "")


def key_fingerprint() -> str | None:
    """SHA256 fingerprint of the public key sshd authenticated, if it exposes it."""
    auth_file = os.environ.get("SSH_USER_AUTH")
    if not auth_file:
        return None
    try:
        with open(auth_file, encoding="ascii") as handle:
            lines = handle.read(65536).splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    import binascii
    import hashlib

    for line in lines:
        fields = line.split()
        if len(fields) >= 3 and fields[0] == "publickey":
            try:
                blob = binascii.a2b_base64(fields[2])
            except (binascii.Error, ValueError):
                return None
            digest = binascii.b2a_base64(hashlib.sha256(blob).digest(), newline=False).decode("ascii")
            return "SHA256:" + digest.rstrip("=")
    return None


def _who() -> dict[str, Any]:
    connection = os.environ.get("SSH_CONNECTION", "").split()
    return {
        "user": os.environ.get("USER") or os.environ.get("LOGNAME"),
        "uid": os.getuid(),
        "key_label": context.label,
        "client": f"{connection[0]} port {connection[1]}" if len(connection) >= 2 else None,
    }


def _syslog(priority_name: str, message: str) -> None:
    if not os.path.exists(_SYSLOG_SOCKET):
        return
    try:
        import syslog

        syslog.openlog("rhl-guard", syslog.LOG_PID, syslog.LOG_AUTHPRIV)
        syslog.syslog(getattr(syslog, priority_name), message)
    except Exception:  # noqa: BLE001, S110 - never let auditing change a decision
        pass


def _append(record: dict[str, Any]) -> None:
    path = context.audit_file
    if not path:
        return
    line = json_line(record).encode("utf-8", "backslashreplace")
    try:
        directory = os.path.dirname(path)
        if directory and not os.path.isdir(directory):
            from ..paths import ensure_private_dir

            ensure_private_dir(directory)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW
        fd = os.open(path, flags, 0o600)
        try:
            if os.fstat(fd).st_size >= ROTATE_BYTES:
                os.close(fd)
                fd = -1
                os.replace(path, path + ".1")
                fd = os.open(path, flags, 0o600)
            os.write(fd, line)
        finally:
            if fd >= 0:
                os.close(fd)
    except OSError:
        pass


def _summary(fields: dict[str, Any]) -> str:
    who = f"user={fields['user']} uid={fields['uid']}"
    if fields.get("key_label"):
        who += f" key={fields['key_label']}"
    if fields.get("key_fingerprint"):
        who += f" fingerprint={fields['key_fingerprint']}"
    if fields.get("client"):
        who += f" from={fields['client']}"
    return who


def rejection(command: str | None, reason: str, stage: str = "guard") -> None:
    """Record one rejected command (syslog warning + one JSON line)."""
    record = _who()
    record.update(
        time=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        event="rejected",
        stage=stage,
        reason=reason,
        command=None if command is None else command[:MAX_COMMAND_LOGGED],
        command_length=None if command is None else len(command),
        key_fingerprint=key_fingerprint(),
        policy=context.policy,
        pid=os.getpid(),
    )
    shown = "(none)" if command is None else repr(printable(command))
    _syslog("LOG_WARNING", f"rejected {_summary(record)} reason={reason!r} command={shown}")
    _append(record)


def accepted(helper: str, argv: list[str]) -> None:
    """Record an accepted command in syslog (info); the JSON-lines file holds rejections only."""
    if not os.path.exists(_SYSLOG_SOCKET):
        return
    command = printable(" ".join([helper, *argv]), 1024)
    _syslog("LOG_INFO", f"accepted {_summary(_who())} command={command!r}")


def helper_refusal(helper: str, raw: str, kind: str, reason: str) -> None:
    """A helper refused a path at use time (after the guard had allowed it): a race or attack."""
    rejection(f"{helper} {raw}", f"at use time ({kind}): {reason}", stage="helper")
