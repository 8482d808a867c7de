"""How much one launch can pass to ``rhl-launch-service``, checked before anything starts.

A launch sends ``meta`` and ``file_parameters`` to the target as JSON, each block one
command-line argument of ``rhl-launch-service`` (remote-http-launcher 0.4.5's helper takes them
there, and the guard checks them there). The operating system bounds that:

* on Linux one argument (and one environment string) is at most ``MAX_ARG_STRLEN`` bytes,
  terminating NUL included: 32 pages, 131,072 bytes on 4 KiB pages;
* all arguments and the environment together are at most ``ARG_MAX`` (a quarter of the
  stack limit, 2 MiB by default, never more than 6 MiB);
* over SSH the whole remote command is *one* string: sshd runs ``$SHELL -c COMMAND``, and
  behind a forced command (``rhl-guard``) hands it over as the environment string
  ``SSH_ORIGINAL_COMMAND=COMMAND``. So both blocks, quoted, together with every other
  argument, must fit in 131,072 - 1 - 21 = 131,050 bytes.

Past these limits ``exec`` fails with E2BIG (locally: an internal error; over SSH: a remote
shell that never starts, or a guard that refuses). :func:`check` computes the exact argument
list the launch will send and refuses a configuration that cannot pass with a one-line
:class:`ConfigError` naming the field, before any connection, lock or process. Everything up
to the limits works: the await helper's answer (one JSON line with the whole state) is read
while its progress is (see :func:`.executors._pump`).
"""

from __future__ import annotations

import json
import os
import sys

from .config import Configuration
from .errors import ConfigError

#: Linux's MAX_ARG_STRLEN on the smallest page size (4 KiB): what a remote host surely takes.
LINUX_ARG_STRLEN = 32 * 4096
#: The name sshd prefixes to a forced command's original command in the environment.
SSH_ORIGINAL_COMMAND = "SSH_ORIGINAL_COMMAND="
#: The longest remote command (bytes) every sshd set-up passes on: one environment string.
SSH_COMMAND_MAX = LINUX_ARG_STRLEN - 1 - len(SSH_ORIGINAL_COMMAND)
#: The kernel never grants more than 3/4 of _STK_LIM (8 MiB) to arguments and environment.
LINUX_TOTAL_CAP = 6 * 1024 * 1024
_POINTER = 8

BLOCKS = ("meta", "file_parameters")


def local_argument_max() -> int:
    """The longest single argument (bytes, without its NUL) ``exec`` takes on this machine."""
    if sys.platform.startswith("linux"):
        try:
            page = os.sysconf("SC_PAGESIZE")
        except (OSError, ValueError):
            page = 4096
        return 32 * max(page, 4096) - 1
    return local_total_max()


def local_total_max() -> int:
    """Bytes of arguments plus environment (strings, NULs and pointers) ``exec`` takes here."""
    try:
        limit = os.sysconf("SC_ARG_MAX")
    except (OSError, ValueError):
        limit = -1
    if limit <= 0:
        limit = LINUX_ARG_STRLEN
    return min(limit, LINUX_TOTAL_CAP) if sys.platform.startswith("linux") else limit


def block_sizes(config: Configuration) -> dict[str, int]:
    """Bytes of JSON each present block takes on the command line (as :mod:`.sequence` sends it)."""
    sizes = {}
    if config.meta is not None:
        sizes["meta"] = len(json.dumps(config.meta).encode())
    if config.file_parameters is not None:
        sizes["file_parameters"] = len(json.dumps(config.file_parameters).encode())
    return sizes


def _largest(sizes: dict[str, int]) -> str:
    """The field to blame for a command that is too long: the larger block, else the command."""
    return max(sizes, key=lambda name: sizes[name]) if sizes else "command"


def _described(sizes: dict[str, int]) -> str:
    return " and ".join(f"{name} {size:,}" for name, size in sizes.items())


def _encoded(text: str) -> int:
    return len(text.encode(errors="surrogateescape"))


def check(config: Configuration, idle_timeout: float | None = None) -> None:
    """Raise :class:`ConfigError` if the launch's ``rhl-launch-service`` call cannot be passed."""
    from . import sequence
    from .executors import Executor, LocalExecutor, SSHExecutor

    executor: Executor
    if config.is_remote:
        assert config.ssh_target is not None
        executor = SSHExecutor(config.ssh_target)
    else:
        executor = LocalExecutor()
    timeout = sequence.DEFAULT_IDLE_TIMEOUT if idle_timeout is None else idle_timeout
    args = sequence.await_arguments(config, executor, timeout)
    sizes = block_sizes(config)
    if isinstance(executor, SSHExecutor):
        command = executor.remote_command("rhl-launch-service", args)
        length = _encoded(command)
        limit = min(SSH_COMMAND_MAX, local_argument_max())
        if length > limit:
            blocks = f" ({_described(sizes)} bytes of JSON)" if sizes else ""
            raise ConfigError(
                _largest(sizes),
                f"the rhl-launch-service command for {config.ssh_target} would be {length:,} bytes"
                f"{blocks}; SSH passes it to the remote shell as one string of at most {limit:,} "
                "bytes: make meta and file_parameters smaller",
            )
        return
    per_argument = local_argument_max()
    for name, size in sizes.items():
        if size > per_argument:
            raise ConfigError(
                name,
                f"{size:,} bytes of JSON; rhl-launch-service receives {name} as one command-line "
                f"argument, of at most {per_argument:,} bytes on this system",
            )
    argv = [sys.executable, "-m", "remote_http_launcher.cli", "rhl-launch-service", *args]
    for value in argv:
        if _encoded(value) > per_argument:
            raise ConfigError(
                "command",
                f"an argument of the evaluated command is {_encoded(value):,} bytes; "
                f"this system passes at most {per_argument:,} bytes in one",
            )
    environment = [f"{name}={value}" for name, value in os.environ.items()]
    total = sum(_encoded(text) + 1 + _POINTER for text in [sys.executable, *argv, *environment]) + _POINTER
    limit = local_total_max()
    if total > limit:
        blocks = f" ({_described(sizes)} bytes of JSON)" if sizes else ""
        raise ConfigError(
            _largest(sizes),
            f"the rhl-launch-service call would take {total:,} bytes of arguments and environment"
            f"{blocks}; this system passes at most {limit:,} (ARG_MAX)",
        )
