"""Where the ``rhl-*`` helpers run: in this process for the local cluster, over SSH otherwise.

The only thing that crosses to another host is a helper's argv (shell-quoted, with the
seeds' ``PATH`` prepend) and its output, through :mod:`remote_http_launcher.transport` (one
OpenSSH master connection per host, shared with the launcher, so a ``ps`` right after a
launch needs no login at all; ``BatchMode`` and a connect timeout turn a dead host or a
missing key into an error instead of a hang or a password prompt).

One round trip per host: :func:`run_many` sends all the calls of one round to one host as a
single ``rhl-batch`` invocation (one SSH session, one interpreter start on the host), and
every host's round runs side by side, at most ``transport.MAX_PARALLEL`` at a time. A host
whose helpers have no ``rhl-batch`` (remote-http-launcher 0.4.5: exit 127, or a guard that
refuses the unknown helper) gets one call per helper instead, remembered for the rest of the
command. A dead host costs its connect timeout and one error per call; no other host waits.

Local calls run the helper's own code in this process (no interpreter start-up), with the
same argument parser the installed ``rhl-*`` scripts use.
"""

from __future__ import annotations

import _thread

from remote_http_launcher import transport as _transport
from remote_http_launcher.transport import (  # the one SSH transport, shared with the launcher
    CONNECT_TIMEOUT,
    CONTROL_PERSIST,
    PATH_PREPEND,
    helpers_missing,
    helpers_missing_message,
    unreachable_message,
)

from .errors import HelperFailed, HostUnreachable, ServiceError

TYPE_CHECKING = False  # the commands' fast path imports this module: no typing at run time
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import IO

#: Bound for one helper call; ``logs --follow`` is the only unbounded one.
CALL_TIMEOUT = 120.0

LOCAL = None  # the target of helpers that run on this machine


class Call:
    """One helper invocation: where (``None`` = here), which helper, which arguments.

    ``batch_only``: worth making only inside the host's one ``rhl-batch`` (an option older
    helpers lack, e.g. ``rhl-stop --meta-cluster``, that the command can do without): on a
    host without ``rhl-batch`` it is not sent, and its outcome is :class:`NotBatched`."""

    __slots__ = ("args", "batch_only", "helper", "target")

    def __init__(
        self, target: str | None, helper: str, args: tuple[str, ...], *, batch_only: bool = False
    ) -> None:
        self.target = target
        self.helper = helper
        self.args = tuple(args)
        self.batch_only = batch_only

    def __repr__(self) -> str:
        return f"Call({self.target!r}, {self.helper!r}, {self.args!r})"

    @property
    def where(self) -> str:
        return self.target or "localhost"

    def command_line(self) -> str:
        """What a person would type to run the same thing (shown in errors and reports)."""
        import shlex

        words = shlex.join([self.helper, *self.args])
        if self.target is None:
            return words
        return f"ssh {shlex.quote(self.target)} {shlex.quote(remote_command(self.helper, self.args))}"


class Result:
    """What a helper printed and returned."""

    __slots__ = ("call", "rc", "stderr", "stdout")

    def __init__(self, call: Call, rc: int, stdout: str, stderr: str) -> None:
        self.call = call
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr

    def json_rows(self) -> list[dict[str, object]]:
        """Parse NDJSON output (``--json`` helpers); a garbled line is a one-line error."""
        from remote_http_launcher.state import loads_strict  # json imports re: not for ps --json

        rows = []
        for line in self.stdout.splitlines():
            if not line.strip():
                continue
            try:
                row = loads_strict(line)
            except ValueError:
                raise ServiceError(
                    f"{self.call.helper} on {self.call.where} printed invalid JSON: {line[:80]!r}"
                ) from None
            if isinstance(row, dict):
                rows.append(row)
        return rows

    def error_line(self) -> str:
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else f"exit code {self.rc}"

    def check(self) -> Result:
        """Raise :class:`HelperFailed` (the helper's exit code) unless it succeeded."""
        if self.rc != 0:
            raise HelperFailed(f"{self.call.helper} on {self.call.where}: {self.error_line()}", self.rc)
        return self


def lacks_size_option(outcome: Outcome) -> bool:
    """rhl-ps-persistent of remote-http-launcher 0.4.5 has no ``--size``: ask again without.
    (A usage error, exit 2; 0.4.5 itself takes the unknown option for a path: exit 1,
    ``rhl: path must be absolute: '--size'``.)"""
    if not isinstance(outcome, Result):
        return False
    return (outcome.rc == 2 and "--size" in outcome.stderr) or (
        outcome.rc == 1 and "path must be absolute: '--size'" in outcome.stderr
    )


def remote_command(helper: str, args: Sequence[str]) -> str:
    """The remote shell command: PATH prepend, then every word quoted (a leading ``~/``
    stays unquoted so that the remote shell expands it; rhl-guard expands it itself)."""
    return _transport.remote_command([helper, *args], expand_home=True)


_control_dir: str | None = None


def control_dir() -> str:
    """The launcher's ControlMaster directory: the commands and the launcher share masters."""
    global _control_dir
    if _control_dir is None:
        try:
            _control_dir = _transport.control_directory()
        except _transport.TransportError as exc:
            raise ServiceError(str(exc)) from None
    return _control_dir


def host_transport(target: str) -> _transport.Transport:
    """The one :class:`~remote_http_launcher.transport.Transport` of ``target`` in this process."""
    return _transport.transport(target, control_dir=control_dir())


def ssh_argv(target: str, helper: str, args: Sequence[str]) -> list[str]:
    """The local ``ssh`` argv of one helper call (what :func:`run` executes)."""
    return host_transport(target).argv([helper, *args], expand_home=True)


__all__ = ["CONNECT_TIMEOUT", "CONTROL_PERSIST", "PATH_PREPEND"]


# -- local calls ------------------------------------------------------------------------------


def _run_local(call: Call, stdout: IO[str] | None) -> Result:
    """Run the helper in this process through the public runner (the same table, parser and
    body as the installed ``rhl-*`` script). ``stdout`` given: stream into it (passthrough)."""
    import io

    from remote_http_launcher.commands import invoke

    # A text stream with a byte buffer beneath, as a real stdout has: rhl-logs copies bytes.
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", write_through=True)
    err = io.StringIO()
    rc = invoke(call.helper, list(call.args), stdout=stdout or out, stderr=err)
    out.flush()
    return Result(call, rc, raw.getvalue().decode("utf-8", errors="replace"), err.getvalue())


# -- remote calls -----------------------------------------------------------------------------


def _run_remote(call: Call, stdout: IO[str] | None, timeout: float | None) -> Result:
    assert call.target is not None
    link = host_transport(call.target)
    if stdout is not None:
        result = _stream_remote(call, link, stdout)
    else:
        try:
            done = link.run([call.helper, *call.args], timeout=timeout, expand_home=True)
        except _transport.TransportError as exc:
            raise ServiceError(f"{call.helper} on {call.where}: {exc}") from None
        result = Result(call, done.rc, _text(done.stdout), _text(done.stderr))
    return _diagnose(result)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _diagnose(result: Result) -> Result:
    """ssh's own failure (255) and a helper missing on the host are errors, not outcomes."""
    call = result.call
    assert call.target is not None
    if result.rc == _transport.SSH_FAILED:
        raise HostUnreachable(unreachable_message(call.target, result.error_line()))
    if helpers_missing(result.rc, result.stderr):
        raise HelperFailed(helpers_missing_message(call.helper, call.target), 127)
    return result


def _stream_remote(call: Call, link: _transport.Transport, stdout: IO[str]) -> Result:
    """Passthrough: copy output as it comes (logs --follow), collect stderr on the side."""
    try:
        proc = link.popen([call.helper, *call.args], expand_home=True, text=True)
    except _transport.TransportError as exc:
        raise ServiceError(f"{call.helper} on {call.where}: {exc}") from None
    assert proc.stdout is not None and proc.stderr is not None
    errors: list[str] = []
    import threading

    reader = threading.Thread(target=lambda: errors.extend(proc.stderr or ()), daemon=True)
    reader.start()
    try:
        for line in proc.stdout:
            stdout.write(line)
            stdout.flush()
        proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait()
        raise
    reader.join(timeout=5)
    return Result(call, proc.returncode, "", "".join(errors))


# -- one round per host -----------------------------------------------------------------------

BATCH_HELPER = "rhl-batch"
#: Hosts whose helpers cannot run ``rhl-batch`` (found in this process): one call per helper.
_NO_BATCH: set[str] = set()
_NO_BATCH_LOCK = _thread.allocate_lock()  # threading's lock; threading only when a host is asked


class NotBatched(ServiceError):
    """A ``batch_only`` call that was not sent: the host has no ``rhl-batch``."""


class _NotABatchAnswer(Exception):
    """The host answered the batch, but not as ``rhl-batch`` does (an older installation)."""

    def __init__(self, remember: bool) -> None:
        super().__init__()
        self.remember = remember


#: The arguments of :func:`session_call`: not a line of the batch, an option of it.
SESSION_ARGS = ("--session",)


def session_call(target: str) -> Call:
    """What ``rhl-batch --session`` reports about the SSH session the host's batch runs in
    (is rhl-guard in front; would the helpers be found without the PATH prepend), as the
    stdout (one JSON object) of a call that rides along with the host's other calls of the
    round; :class:`NotBatched` on a host without ``rhl-batch`` (ask the old way then)."""
    return Call(target, BATCH_HELPER, SESSION_ARGS, batch_only=True)


def _is_session(call: Call) -> bool:
    return call.helper == BATCH_HELPER and call.args == SESSION_ARGS


#: The argument prefix of :func:`each_call`: an option of the batch, not a line of it.
EACH_OPTION = "--each="
#: The word of a template call's arguments that each selected key replaces.
KEY_WORD = "{key}"


def each_call(
    target: str, wanted: dict[str, str], template: Call, *, except_keys: Sequence[str] = ()
) -> Call:
    """``rhl-batch --each``: ``template`` (a call whose arguments hold the word ``{key}``) for
    every state key on ``target`` whose meta ``wanted`` picks (``--meta-FIELD VALUE``, the
    rule of ``rhl-stop --meta-cluster``), the ``except_keys`` left out. Its outcome is an
    :class:`Expanded`: one answer per selected key, each the answer of the call with the key
    in place of ``{key}`` (:func:`send_ahead` keeps them as such). ``batch_only``: a host
    without ``rhl-batch`` is asked nothing (:class:`NotBatched`)."""
    from remote_http_launcher.selection import META_FIELDS

    words = [f"--meta-{name} {_transport.quote_word(wanted[name])}" for name in META_FIELDS if name in wanted]
    words += [f"--except {_transport.quote_word(key)}" for key in except_keys]
    line = _transport.command_line([template.helper, *template.args], expand_home=True)
    return Call(target, BATCH_HELPER, (EACH_OPTION + " ".join([*words, line]),), batch_only=True)


def _is_each(call: Call) -> bool:
    return call.helper == BATCH_HELPER and len(call.args) == 1 and call.args[0].startswith(EACH_OPTION)


class Expanded(Result):
    """The answer of an :func:`each_call`: ``answers``, one per key the host selected (in its
    file order), each the call naming that key and its :class:`Result` or error (a failed line
    is an answer too: asked again, it would fail the same way, one round later)."""

    __slots__ = ("answers",)

    def __init__(self, call: Call, answers: list[tuple[Call, Outcome]]) -> None:
        super().__init__(call, 0, "", "")
        self.answers = answers


def _run_batch(target: str, calls: Sequence[Call], timeout: float | None) -> list[Outcome]:
    """All ``calls`` (to ``target``) in one ``rhl-batch`` invocation: one SSH session. A
    :func:`session_call` among them adds ``--session``; its answer is the last record."""
    import json

    asked = list(calls)
    sessions = [c for c in asked if _is_session(c)]
    eaches = [c for c in asked if _is_each(c)]
    calls = [c for c in asked if not _is_session(c) and not _is_each(c)]
    lines = [_transport.command_line([c.helper, *c.args], expand_home=True) for c in calls]
    if not lines:  # rhl-batch needs one CMDLINE: nothing here worth a batch of its own
        raise _NotABatchAnswer(remember=False)
    link = host_transport(target)
    options = [*(SESSION_ARGS if sessions else ()), *(c.args[0] for c in eaches)]
    try:
        done = link.run([BATCH_HELPER, *options, *lines], timeout=timeout)
    except _transport.TransportError as exc:
        error = ServiceError(f"{BATCH_HELPER} on {target}: {exc}")
        return [error for _call in asked]
    if done.rc == _transport.SSH_FAILED:
        unreachable = HostUnreachable(unreachable_message(target, done.error_line()))
        return [unreachable for _call in asked]
    if done.rc != 0:
        # 127: no rhl-batch (0.4.5); 77: a guard refused it (unknown helper, or one line or
        # template refused: then each call gets its own answer); else: not our rhl-batch.
        stderr = _text(done.stderr)
        raise _NotABatchAnswer(
            remember=f"{BATCH_HELPER}: line " not in stderr and f"{BATCH_HELPER}: --each " not in stderr
        )
    records = []
    for line in done.stdout.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise _NotABatchAnswer(remember=True) from None
        if not isinstance(record, dict):
            raise _NotABatchAnswer(remember=True)
        records.append(record)
    answer: Outcome = ServiceError(f"{BATCH_HELPER} on {target}: no session record")
    if sessions:
        last = records.pop() if records else {}
        if not isinstance(last.get("session"), dict):
            raise _NotABatchAnswer(remember=True)
        answer = Result(sessions[0], 0, json.dumps(last["session"]), "")
    if not all(isinstance(record.get("rc"), int) for record in records):
        raise _NotABatchAnswer(remember=True)
    expanded = [record for record in records if "each" in record]
    records = [record for record in records if "each" not in record]
    if len(records) != len(calls):
        raise _NotABatchAnswer(remember=True)
    each_answers: list[list[tuple[Call, Outcome]]] = [[] for _call in eaches]
    for record in expanded:
        index, argv = record.get("each"), record.get("argv")
        if not isinstance(index, int) or not 0 <= index < len(eaches) or not isinstance(argv, list):
            raise _NotABatchAnswer(remember=True)
        if not argv or not all(isinstance(word, str) for word in argv):
            raise _NotABatchAnswer(remember=True)
        named = Call(target, argv[0], tuple(argv[1:]))
        result = Result(named, record["rc"], str(record.get("stdout") or ""), str(record.get("stderr") or ""))
        try:
            each_answers[index].append((named, _diagnose(result)))
        except ServiceError as exc:
            each_answers[index].append((named, exc))
    outcomes: list[Outcome] = []
    for call, record in zip(calls, records):
        result = Result(call, record["rc"], str(record.get("stdout") or ""), str(record.get("stderr") or ""))
        try:
            outcomes.append(_diagnose(result))
        except ServiceError as exc:
            outcomes.append(exc)
    answers = iter(outcomes)
    templates = iter(Expanded(call, found) for call, found in zip(eaches, each_answers))
    return [
        answer if _is_session(call) else next(templates) if _is_each(call) else next(answers)
        for call in asked
    ]


def _run_host(target: str, calls: Sequence[Call], timeout: float | None) -> list[Outcome]:
    """One host's round: a single call as is, several as one batch (or, on a host without
    ``rhl-batch``, one call per helper over the shared master connection)."""
    if len(calls) > 1 and target not in _NO_BATCH:
        try:
            return _run_batch(target, calls, None if timeout is None else timeout * min(len(calls), 5))
        except _NotABatchAnswer as exc:
            if exc.remember:
                with _NO_BATCH_LOCK:
                    _NO_BATCH.add(target)
    return _run_each(calls, timeout)


def _run_each(calls: Sequence[Call], timeout: float | None) -> list[Outcome]:
    """One call per helper: the first alone (it opens the master connection, or finds that
    the host is down), the rest side by side over it; ``batch_only`` calls are not sent."""
    sent = [call for call in calls if not call.batch_only]
    if len(sent) < len(calls):
        answers = iter(_run_each(sent, timeout) if sent else [])
        return [
            NotBatched(f"{call.helper} on {call.where}: not sent (no rhl-batch there)")
            if call.batch_only
            else next(answers)
            for call in calls
        ]
    outcomes: list[Outcome] = [_outcome(calls[0], timeout)]
    if isinstance(outcomes[0], HostUnreachable):
        return outcomes * len(calls)
    rest = list(calls[1:])
    if len(rest) <= 1:
        return outcomes + [_outcome(call, timeout) for call in rest]
    import functools

    jobs: list[Callable[[], Outcome]] = [functools.partial(_outcome, call, timeout) for call in rest]
    return outcomes + _transport.run_many(jobs, max_parallel=8)


def _outcome(call: Call, timeout: float | None) -> Outcome:
    try:
        return run(call, timeout=timeout)
    except ServiceError as exc:
        return exc


# -- the dispatcher ---------------------------------------------------------------------------


def run(call: Call, *, stdout: IO[str] | None = None, timeout: float | None = CALL_TIMEOUT) -> Result:
    """Run one call; with ``stdout``, its output is copied there as it comes."""
    if call.target is None:
        return _run_local(call, stdout)
    return _run_remote(call, stdout, timeout)


if TYPE_CHECKING:
    Outcome = Result | ServiceError


_SENT_AHEAD: dict[tuple[str | None, str, tuple[str, ...]], list[Outcome]] = {}
_SENT_AHEAD_LOCK = _thread.allocate_lock()
_sent_at = 0.0
#: Answers sent ahead are for the step that follows at once, never for a later command.
SENT_AHEAD_LIFETIME = 60.0


def send_ahead(calls: Sequence[Call], *, timeout: float = CALL_TIMEOUT, keep: bool = False) -> None:
    """Run the remote ``calls`` now, in one round per host, because the command will need
    them all but asks for them in steps (e.g. ``ps``: the state rows, then the persistent
    walks, which do not depend on the rows). The next :func:`run_many` that asks for an
    identical call takes its answer from here, once. Answers not taken are dropped by the
    next ``send_ahead`` (unless it is told to ``keep`` them: the answers of a round not
    taken yet, e.g. the doctor's) and ignored after :data:`SENT_AHEAD_LIFETIME` seconds. A
    ``batch_only`` call that was not sent (:class:`NotBatched`) leaves no answer: asked
    again, it is sent then."""
    import time

    global _sent_at
    remote = [call for call in calls if call.target is not None]
    if not keep:
        with _SENT_AHEAD_LOCK:
            _SENT_AHEAD.clear()
    outcomes = run_many(remote, timeout=timeout)
    with _SENT_AHEAD_LOCK:
        _sent_at = time.monotonic()
        for call, outcome in zip(remote, outcomes):
            if isinstance(outcome, Expanded):  # each key's answer, as that call's own
                for named, answer in outcome.answers:
                    _SENT_AHEAD.setdefault((named.target, named.helper, named.args), []).append(answer)
            elif not isinstance(outcome, NotBatched):
                _SENT_AHEAD.setdefault((call.target, call.helper, call.args), []).append(outcome)


def answered_ahead(call: Call) -> bool:
    """Is an answer sent ahead waiting for ``call`` (the next :func:`run_many` takes it)?"""
    with _SENT_AHEAD_LOCK:
        return bool(_SENT_AHEAD.get((call.target, call.helper, call.args)))


def _taken_ahead(call: Call) -> Outcome | None:
    if not _SENT_AHEAD:
        return None
    import time

    with _SENT_AHEAD_LOCK:
        if time.monotonic() - _sent_at > SENT_AHEAD_LIFETIME:
            _SENT_AHEAD.clear()
            return None
        found = _SENT_AHEAD.get((call.target, call.helper, call.args))
        if not found:
            return None
        outcome = found.pop(0)
        if not found:
            del _SENT_AHEAD[(call.target, call.helper, call.args)]
        return outcome


def run_many(calls: Sequence[Call], *, timeout: float = CALL_TIMEOUT) -> list[Outcome]:
    """Run calls, one round trip per host, hosts side by side; results in the order of ``calls``.

    A host that cannot be reached yields a :class:`HostUnreachable` for each of its calls
    (the others still run): one dead frontend must not hide the rest."""
    import functools

    outcomes: list[Outcome | None] = [None] * len(calls)
    by_host: dict[str | None, list[int]] = {}
    for index, call in enumerate(calls):
        outcomes[index] = _taken_ahead(call)
        if outcomes[index] is None:
            by_host.setdefault(call.target, []).append(index)
    local = by_host.pop(None, [])
    hosts = list(by_host.items())

    def host_round(target: str | None, indexes: list[int]) -> None:
        assert target is not None
        for index, outcome in zip(indexes, _run_host(target, [calls[i] for i in indexes], timeout)):
            outcomes[index] = outcome

    if len(hosts) > _transport.MAX_PARALLEL:
        # More hosts than slots: log in to every unconnected host now, side by side, so a dead
        # one's connect timeout runs from the start instead of from when a slot frees.
        _transport.head_start([target for target, _indexes in hosts if target is not None])
    if not hosts:  # this machine only: no thread (nor the threading module) needed
        for index in local:
            outcomes[index] = _outcome(calls[index], timeout)
        return [o for o in outcomes if o is not None]
    import threading

    jobs: list[Callable[[], None]] = [functools.partial(host_round, *host) for host in hosts]
    rounds = threading.Thread(target=_transport.run_many, args=(jobs,), name="rhl-hosts", daemon=True)
    rounds.start()
    for index in local:  # in this thread: stdout redirection is process-wide
        outcomes[index] = _outcome(calls[index], timeout)
    rounds.join()
    return [o for o in outcomes if o is not None]
