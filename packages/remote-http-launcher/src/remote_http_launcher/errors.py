"""Errors a user can cause, each carrying the exit code the command line reports.

Every command turns an :class:`RhlError` into one line on stderr (``<prog>: <message>``)
and exits with its ``exit_code``; no traceback reaches a user.
"""

# Quoted annotations, no __future__ import: rhl-guard's decision loads this module (guard/__init__.py).

#: Exit codes shared by the helpers (see docs/reference/exit-codes.md).
EXIT_OK = 0
EXIT_ERROR = 1
#: Used only by helpers whose exit code 1 already carries a meaning (rhl-pid-alive: "dead",
#: rhl-handshake: "network error"), so that a usage error can never be mistaken for an answer.
EXIT_USAGE_DISTINCT = 64


class RhlError(Exception):
    """A failure with a one-line message meant for the user."""

    exit_code: int = EXIT_ERROR

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self.args[0])


class InvalidKey(RhlError):
    """A key that cannot name a state file safely."""


class InvalidPath(RhlError):
    """A path that a helper refuses to operate on."""


class CorruptState(RhlError):
    """A state file that exists but is not a JSON object."""


class UsageProblem(RhlError):
    """A usage error found after parsing (e.g. two options that exclude each other).

    Reported with the command's usage exit code, like the errors click finds itself.
    """
