"""The guard's decision: may this ``SSH_ORIGINAL_COMMAND`` run, and as what exactly?

:func:`decide` is pure apart from reading the file system for path checks and resolving host
names: it never runs anything, so tests can throw any number of commands at it. An accepted
command comes back as the helper's name *and the parsed values the helper will be called
with*: the guard does not hand an argv to somebody else's parser, it calls the helper's body
with exactly what it checked.

Order of checks (first failure wins): length; control characters; empty; shell quoting;
``NAME=value`` prefixes dropped; shell syntax; the fixed helper table; the helper's own
parser (``commands.parse``, the one parser every helper uses: no abbreviations,
no unknown or repeated options, ``--`` honoured, values validated); path policy (for
``rhl-launch-service`` also every path in the service's own command line, see
``policy.service_args``); local hosts.
"""

# Quoted annotations, no __future__ import: rhl-guard's decision loads this module (guard/__init__.py).

from ..commands._table import HELPERS
from ..commands._words import SHELL_SPECIALS, TokenError, is_assignment, split  # noqa: F401 (re-exported)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ..policy.base import PathPolicy

#: The helpers a guarded key may run, by exact name: this installation's own helper commands
#: (the command table, ``commands.HELPERS``). Nothing else, whatever is on PATH; in particular
#: not rhl-guard itself, and not the launcher (neither is a helper).
TABLE = HELPERS
#: Helpers that take client-chosen paths: refused unless a path policy is configured.
PATH_HELPERS = frozenset(["rhl-clear", "rhl-ps-persistent", "rhl-launch-service"])
#: Argument lists answered from static text, whatever the helper.
INFO_ARGV = (("--help",), ("-h",), ("--version",))
#: The most sshd can hand a forced command: "SSH_ORIGINAL_COMMAND=<command>" is one environment
#: string, at most 131,072 bytes with its NUL on Linux. The launcher refuses longer launches up
#: front (launch/limits.py), so every launch it sends passes here too.
MAX_COMMAND = 131050
#: Allowed unquoted in the discarded ``NAME=value`` prefixes: ``PATH=$HOME/bin:$PATH``.
_ASSIGNMENT_SPECIALS = frozenset("${}")


# ------------------------------------------------------------------------------- deciding


class Outcome:
    """What :func:`decide` concluded. ``reason`` is None when the command is accepted."""

    __slots__ = ("argv", "helper", "inner", "paths", "reason", "tags", "values")

    def __init__(
        self,
        reason: str | None,
        helper: str | None = None,
        argv: list[str] | None = None,
        values: "dict[str, Any] | None" = None,
        paths: list[tuple[str, str, str]] | None = None,
    ) -> None:
        self.reason = reason
        self.helper = helper
        self.argv = argv or []
        self.values = values
        self.paths = paths or []
        #: For ``rhl-batch``: the accepted outcome of every line, in order (the lines, then
        #: the lines expanded from ``--each``)...
        self.inner: list[Outcome] = []
        #: ... and the ``--each`` tag of each: None for a line, (template index, key).
        self.tags: list[tuple[int, str] | None] = []

    @property
    def accepted(self) -> bool:
        return self.reason is None

    @property
    def info(self) -> bool:
        """An accepted ``--help`` / ``--version`` request (static text, no body runs)."""
        return self.reason is None and self.values is None

    def __repr__(self) -> str:
        if self.reason is not None:
            return f"Outcome(rejected: {self.reason!r})"
        return f"Outcome(run {self.helper} {self.argv!r})"


class _Rejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _first_control(command: str) -> tuple[int, str]:
    for position, char in enumerate(command):
        if not char.isprintable():
            return position, char
    return -1, ""  # pragma: no cover - only called when there is one


def _split(command: str) -> list[str]:
    if len(command) > MAX_COMMAND:
        raise _Rejected(f"command too long ({len(command)} characters; the limit is {MAX_COMMAND})")
    if not command.isprintable():
        position, char = _first_control(command)
        raise _Rejected(
            f"control character {char!r} at position {position} (newlines, tabs, NUL are refused)"
        )
    if not command.strip():
        raise _Rejected("empty command (interactive session not allowed)")
    try:
        words = split(command)
    except TokenError as exc:
        raise _Rejected(f"command parse error: {exc}") from None
    start = 0
    while start < len(words) and is_assignment(words[start][0]):
        extra = set(words[start][1]) - _ASSIGNMENT_SPECIALS
        if extra:
            raise _Rejected(
                f"shell syntax is not supported (the guard runs no shell): {''.join(sorted(extra))!r}"
            )
        start += 1
    if start == len(words):
        raise _Rejected("empty command after stripping variable assignments")
    for _word, specials in words[start:]:
        if specials:
            raise _Rejected(f"shell syntax is not supported (the guard runs no shell): {specials[0]!r}")
    return [word for word, _ in words[start:]]


def default_state_dir() -> str:
    """The helpers' state directory when rhl-guard has no ``--state-dir``: it scrubs
    ``REMOTE_HTTP_LAUNCHER_DIR``, so the helpers use remote-http-launcher's default."""
    import os

    return os.path.abspath(os.path.expanduser("~/.remote-http-launcher"))


def decide(
    command: str,
    policy: "Callable[[], PathPolicy | None]",
    state_base: str | None = None,
    *,
    clusters: tuple[str, ...] = (),
    _in_batch: bool = False,
) -> "Outcome":
    """Decide about one ``SSH_ORIGINAL_COMMAND``; ``policy()`` gives the path policy (or None).

    ``policy`` is called only for the path helpers (it may load plugins); it may raise the
    guard's ``ConfigError``, which the caller reports as a configuration error.
    ``state_base`` is the helpers' state directory (``--state-dir``; default
    ``~/.remote-http-launcher``): a service's ``--status-file`` must be the key's own file
    in it, and no other path a service gets may lie in it. ``clusters``: the Dask cluster
    strings the administrator allows beyond the built-in rule (``--dask-clusters``).
    """
    try:
        words = _split(command)
        helper, argv = words[0], words[1:]
        if helper not in TABLE:
            if helper == "rhl-guard" or helper.endswith("/rhl-guard"):
                raise _Rejected("rhl-guard cannot run itself")
            raise _Rejected(f"not an allowed helper: {helper[:120]!r}")
        if tuple(argv) in INFO_ARGV:
            return Outcome(None, helper, argv)
        # Imported only now: a command refused above costs none of this.
        from ..commands._run import UsageError, parse

        try:
            values = parse(helper, argv)
        except UsageError as exc:
            raise _Rejected(f"{helper}: {exc.message}") from None
        if helper == "rhl-batch":
            if _in_batch:
                raise _Rejected("rhl-batch cannot run inside rhl-batch")
            return _decide_batch(argv, values, policy, state_base or default_state_dir(), clusters)
        paths: list[tuple[str, str, str]] = []
        reason = None
        if helper in PATH_HELPERS:
            from ._checks import check_paths

            reason, paths = check_paths(helper, values, policy, state_base or default_state_dir(), clusters)
        elif helper in ("rhl-verify-port", "rhl-handshake"):
            from ._checks import check_network

            reason = check_network(helper, values)
        if reason is not None:
            raise _Rejected(reason)
        return Outcome(None, helper, argv, values, paths)
    except _Rejected as exc:
        return Outcome(exc.reason)


def _decide_batch(
    argv: list[str],
    values: "dict[str, Any]",
    policy: "Callable[[], PathPolicy | None]",
    state_base: str,
    clusters: tuple[str, ...] = (),
) -> "Outcome":
    """``rhl-batch LINE...``: every line is decided exactly as if it came alone (same table,
    parser, path policy, local hosts); the first refused line refuses the whole batch, so
    nothing runs. A line must also be one that ``rhl-batch`` itself would run (no nested batch,
    no ``rhl-launch-service``, no ``rhl-logs --follow``, no ``NAME=value`` prefix).

    ``--each`` templates are expanded here, once (the state files of ``state_base``, which the
    helpers read too), and every expanded line is decided as a line; so is each template with
    a placeholder key (refused even when it selects nothing). What runs is what was decided."""
    import os

    from ..commands._batch import expand_each, follows, split_line
    from ..commands._words import join
    from ..errors import UsageProblem

    def line_outcome(line: str, label: str) -> "Outcome":
        outcome = decide(line, policy, state_base, clusters=clusters, _in_batch=True)
        if outcome.reason is not None:
            raise _Rejected(f"rhl-batch: {label}: {outcome.reason}")
        assert outcome.helper is not None
        try:
            split_line(line, TABLE)  # what a batch refuses beyond a lone call (NAME=value, nesting)
        except UsageProblem as exc:
            raise _Rejected(f"rhl-batch: {exc.message}") from None
        if follows(outcome.helper, outcome.values):
            raise _Rejected(f"rhl-batch: {label}: rhl-logs --follow cannot run inside rhl-batch")
        return outcome

    lines: tuple[str, ...] = values["lines"]
    inner = [line_outcome(line, f"line {line!r}") for line in lines]
    tags: list[tuple[int, str] | None] = [None] * len(inner)
    templates: tuple[str, ...] = values.get("each") or ()
    if templates:
        try:
            checks, expanded = expand_each(templates, os.path.join(state_base, "server"))
        except UsageProblem as exc:
            raise _Rejected(f"rhl-batch: {exc.message}") from None
        for template, words in zip(templates, checks):
            line_outcome(join(words), f"--each {template!r}")
        for tag, words in expanded:
            line = join(words)
            inner.append(line_outcome(line, f"line {line!r} (--each {templates[tag[0]]!r})"))
            tags.append(tag)
    # --session only reports on the session (no path, no helper): nothing more to decide.
    accepted = Outcome(None, "rhl-batch", argv, dict(values), [p for o in inner for p in o.paths])
    accepted.inner = inner
    accepted.tags = tags
    return accepted
