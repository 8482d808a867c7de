"""The Python API of the launcher: ``run(config, *, connection_dir=None) -> dict``, and
``launch(...)``, the same call that also says whether it started the service.

Same contract as remote-http-launcher 0.4.5 (Seamless calls it for every service): the
configuration mapping may carry the logging keys; the result is the connection payload,
with at least ``hostname`` and ``port``; handled failures raise :class:`LauncherError` after
the observer has printed them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from .config import Configuration
from .errors import LauncherError
from .progress import Observer


def run(
    config: Mapping[str, Any] | Configuration,
    *,
    connection_dir: str | os.PathLike[str] | None = None,
    log_level: str | None = None,
    log_file: str | None = None,
    debug_log_file: str | None = None,
    idle_timeout: float | None = None,
) -> dict[str, Any]:
    """Launch or reconnect the service that ``config`` describes; its connection payload."""
    payload, _outcome = launch(
        config,
        connection_dir=connection_dir,
        log_level=log_level,
        log_file=log_file,
        debug_log_file=debug_log_file,
        idle_timeout=idle_timeout,
    )
    return payload


def launch(
    config: Mapping[str, Any] | Configuration,
    *,
    connection_dir: str | os.PathLike[str] | None = None,
    log_level: str | None = None,
    log_file: str | None = None,
    debug_log_file: str | None = None,
    idle_timeout: float | None = None,
) -> tuple[dict[str, Any], str | None]:
    """:func:`run`, plus how it ended: ``launched`` (this call started the service),
    ``reused-local`` or ``reused-remote`` (it already ran) -- what the sequence reported to its
    observer, so that a caller (``seamless-service-start``) can say it without redoing a step."""
    from . import limits, sequence
    from .reuse import Plan

    if isinstance(config, Configuration):
        configuration = config
    else:
        configuration = Configuration.from_mapping(
            config, log_level=log_level, log_file=log_file, debug_log_file=debug_log_file
        )
    observer = Observer(
        configuration.key,
        level=log_level or configuration.log_level,
        log_file=log_file if log_file is not None else configuration.log_file,
        debug_log_file=debug_log_file if debug_log_file is not None else configuration.debug_log_file,
    )
    timeout = sequence.DEFAULT_IDLE_TIMEOUT if idle_timeout is None else idle_timeout
    try:
        # A launch the OS cannot pass (meta/file_parameters too large) fails before anything
        # starts, with the one-line reason shown like every other launch error.
        limits.check(configuration, idle_timeout)
    except LauncherError as exc:
        observer.error(exc.message)
        raise
    payload = sequence.launch(
        Plan.of(configuration), connection_dir=connection_dir, observer=observer, idle_timeout=timeout
    )
    return payload, observer.outcome
