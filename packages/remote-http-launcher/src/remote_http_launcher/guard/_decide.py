"""The guard's decision: may this ``SSH_ORIGINAL_COMMAND`` run, and as what exactly?

:func:`decide` is pure apart from reading the file system for path checks and resolving host
names: it never runs anything, so tests can throw any number of commands at it. An accepted
command comes back as the helper's name *and the parsed values the helper will be called
with*: the guard does not hand an argv to somebody else's parser, it calls the helper's body
with exactly what it checked.

Order of checks (first failure wins): length; control characters; empty; shell quoting;
``NAME=value`` prefixes dropped; shell syntax; the fixed helper table; the helper's own
parser (``cli._fastparse`` with the spec generated from the click command: no abbreviations,
no unknown or repeated options, ``--`` honoured, values validated); path policy (for
``rhl-launch-service`` also every path in the service's own command line, see
``policy.service_args``); local hosts.
"""

from __future__ import annotations

from ..cli import COMMAND_MODULES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ..policy.base import PathPolicy

#: The helpers a guarded key may run, by exact name: this installation's own helper commands
#: (the fixed map in cli/__init__.py). Nothing else, whatever is on PATH; in particular not
#: rhl-guard itself, and not the launcher (neither is a helper).
TABLE = frozenset(COMMAND_MODULES)
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


# ------------------------------------------------------------------------ splitting words
# SSH_ORIGINAL_COMMAND is split the way a POSIX shell would, without a shell. Quotes and
# backslashes work as in sh ('...' literal; "..." with \" \\ \$ \` escapes; \x outside
# quotes); nothing is expanded. Every character a shell would have *interpreted* (operators
# ; & | < > ( ), expansions $ and backticks - also inside double quotes -, globs * ? [ ],
# braces { }, ! and a word-initial #) is recorded per word, so that a command whose meaning
# under a shell would differ from what the guard runs is refused. Clients that quote their
# arguments (shlex.join, as 0.4.5's does) never produce such characters unquoted.
# Hand-written rather than shlex: shlex imports re (milliseconds on every SSH call) and
# cannot tell which characters were quoted.

#: Characters a shell interprets when they appear unquoted.
SHELL_SPECIALS = frozenset(";&|<>()`$*?[]{}!")
_DOUBLE_QUOTE_ESCAPES = frozenset('"\\$`')


class TokenError(Exception):
    """The command cannot be split (unterminated quote, trailing backslash)."""


def split(command: str) -> list[tuple[str, str]]:
    """``[(word, specials)]``: each word, and the shell-interpreted characters it contained.

    Words are separated by spaces only: the guard refuses every other whitespace character
    (tab, newline, ...) before splitting.
    """
    words: list[tuple[str, str]] = []
    index, length = 0, len(command)
    while index < length:
        if command[index] == " ":
            index += 1
            continue
        parts: list[str] = []
        specials: list[str] = []
        if command[index] == "#":
            specials.append("#")
        while index < length and command[index] != " ":
            char = command[index]
            if char == "'":
                end = command.find("'", index + 1)
                if end < 0:
                    raise TokenError("unterminated single quote")
                parts.append(command[index + 1 : end])
                index = end + 1
            elif char == '"':
                index += 1
                while True:
                    if index >= length:
                        raise TokenError("unterminated double quote")
                    char = command[index]
                    if char == '"':
                        index += 1
                        break
                    if char == "\\" and index + 1 < length and command[index + 1] in _DOUBLE_QUOTE_ESCAPES:
                        parts.append(command[index + 1])
                        index += 2
                        continue
                    if char in "$`":
                        specials.append(char)
                    parts.append(char)
                    index += 1
            elif char == "\\":
                if index + 1 >= length:
                    raise TokenError("trailing backslash")
                parts.append(command[index + 1])
                index += 2
            else:
                if char in SHELL_SPECIALS:
                    specials.append(char)
                parts.append(char)
                index += 1
        words.append(("".join(parts), "".join(specials)))
    return words


_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_NAME_CHARS = _NAME_START | frozenset("0123456789")


def is_assignment(word: str) -> bool:
    """True for ``NAME=value`` (NAME = ``[A-Za-z_][A-Za-z0-9_]*``), as a shell would assign."""
    name, equals, _ = word.partition("=")
    return bool(equals) and bool(name) and name[0] in _NAME_START and _NAME_CHARS.issuperset(name)


# ------------------------------------------------------------------------------- deciding


class Outcome:
    """What :func:`decide` concluded. ``reason`` is None when the command is accepted."""

    __slots__ = ("argv", "helper", "paths", "reason", "values")

    def __init__(
        self,
        reason: str | None,
        helper: str | None = None,
        argv: list[str] | None = None,
        values: dict[str, Any] | None = None,
        paths: list[tuple[str, str, str]] | None = None,
    ) -> None:
        self.reason = reason
        self.helper = helper
        self.argv = argv or []
        self.values = values
        self.paths = paths or []

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


def decide(command: str, policy: Callable[[], PathPolicy | None], state_base: str | None = None) -> Outcome:
    """Decide about one ``SSH_ORIGINAL_COMMAND``; ``policy()`` gives the path policy (or None).

    ``policy`` is called only for the path helpers (it may load plugins); it may raise the
    guard's ``ConfigError``, which the caller reports as a configuration error.
    ``state_base`` is the helpers' state directory (``--state-dir``; default
    ``~/.remote-http-launcher``): a service's ``--status-file`` must be the key's own file
    in it, and no other path a service gets may lie in it.
    """
    try:
        words = _split(command)
        helper, argv = words[0], words[1:]
        if helper not in TABLE:
            if helper == "rhl-guard" or helper.endswith("/rhl-guard"):
                raise _Rejected("rhl-guard cannot run itself")
            raise _Rejected(f"not an allowed helper: {helper[:120]!r}")
        # Imported only now: a command refused above costs none of this.
        from ..cli._fastparse import NotFast, parse
        from ..cli._specs import SPECS

        spec = SPECS.get(helper)
        if spec is None:
            raise _Rejected(f"helper not available in this installation: {helper}")
        if tuple(argv) in INFO_ARGV:
            return Outcome(None, helper, argv)
        try:
            values = parse(spec, argv)
        except NotFast:
            from ._checks import explain

            raise _Rejected(explain(helper, spec, argv)) from None
        paths: list[tuple[str, str, str]] = []
        reason = None
        if helper in PATH_HELPERS:
            from ._checks import check_paths

            reason, paths = check_paths(helper, values, policy, state_base)
        elif helper in ("rhl-verify-port", "rhl-handshake"):
            from ._checks import check_network

            reason = check_network(helper, values)
        if reason is not None:
            raise _Rejected(reason)
        return Outcome(None, helper, argv, values, paths)
    except _Rejected as exc:
        return Outcome(exc.reason)
