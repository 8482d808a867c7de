"""The errors a user of the seamless-service-* commands can cause, each with its exit code.

The click layer turns any :class:`ServiceError` into one line on stderr and its exit code;
nothing else reaches the user as a traceback. Exit codes (docs/reference/exit-codes.md):

* 1 - the operation failed (configuration, resolution, a helper reported failure)
* 2 - usage: a flag combination that cannot work (``--server`` without a cluster, ...)
* 255 - the host could not be reached over SSH (what ``ssh`` itself returns)
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every error we report as one line."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(ServiceError):
    """A configuration file (or value) is invalid. The message names the file, the field and
    what is expected: ``<file>: <field>: <what is wrong>``."""

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None) -> None:
        self.file = file
        self.field = field
        self.detail = message
        parts = [p for p in (file, field) if p]
        super().__init__(": ".join([*parts, message]))


class UsageError(ServiceError):
    """The command line asks for something that cannot work."""

    exit_code = 2


class HostUnreachable(ServiceError):
    """SSH could not reach (or log in to) a host."""

    exit_code = 255


class HelperFailed(ServiceError):
    """An ``rhl-*`` helper exited non-zero; ``exit_code`` is its exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code
