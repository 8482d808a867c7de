"""Errors of the launcher, each one line for the user and an exit code for the CLI.

``LauncherError`` keeps the name and base class (``RuntimeError``) of remote-http-launcher
0.4.5, so callers that catch it keep working; it is also an :class:`~remote_http_launcher.errors.RhlError`
so the helpers' one-line reporting applies to it unchanged.
"""

from __future__ import annotations

from ..errors import EXIT_ERROR, RhlError


def _one_line(text: str) -> str:
    """Collapse line breaks: an error must print as exactly one line, whatever it quotes."""
    if "\n" not in text and "\r" not in text:
        return text
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


class LauncherError(RhlError, RuntimeError):
    """A handled launcher failure with a one-line message (exit code 1 unless said otherwise)."""

    exit_code: int = EXIT_ERROR

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(_one_line(message), exit_code)


class ConfigError(LauncherError):
    """An invalid configuration. ``field`` names the offending key (``None``: the file as a whole).

    ``str(err)`` is ``"<field>: <detail>"`` so the user sees which key to fix even when the
    detail sentence (kept word for word from 0.4.5 where it had one) does not name it.
    """

    field: str | None
    detail: str

    def __init__(self, field: str | None, message: str) -> None:
        detail = _one_line(message)
        super().__init__(f"{field}: {detail}" if field else detail)
        self.field = field
        self.detail = detail

    def __reduce__(self) -> tuple[type[ConfigError], tuple[str | None, str]]:
        # Exceptions pickle through their args; ours has a different constructor signature.
        return (type(self), (self.field, self.detail))


class LaunchFailed(LauncherError):
    """The service did not come up; ``log_tail`` holds the end of its log."""

    def __init__(self, message: str, log_tail: str = "") -> None:
        super().__init__(message)
        self.log_tail = log_tail
