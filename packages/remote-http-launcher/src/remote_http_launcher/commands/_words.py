"""Shell words without a shell: how ``rhl-guard`` and ``rhl-batch`` split a command line, and
how this package writes one (:func:`quote`, :func:`join`: :mod:`shlex`'s exact text).

Hand-written rather than :mod:`shlex`: shlex imports ``re`` (milliseconds on every SSH call)
and cannot tell which characters were quoted.
"""

# Quoted annotations, no __future__ import: rhl-guard's decision loads this module (guard/__init__.py).

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


#: What :func:`shlex.quote` leaves unquoted: ``[\\w@%+=:,./-]`` with ``re.ASCII``.
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-")


def quote(word: str) -> str:
    """:func:`shlex.quote`, character for character (without importing shlex and ``re``):
    :func:`split` gives ``word`` back, with no special character."""
    if not word:
        return "''"
    if _SAFE.issuperset(word):
        return word
    return "'" + word.replace("'", "'\"'\"'") + "'"


def join(words: list[str] | tuple[str, ...]) -> str:
    """:func:`shlex.join`, see :func:`quote`."""
    return " ".join(quote(word) for word in words)
