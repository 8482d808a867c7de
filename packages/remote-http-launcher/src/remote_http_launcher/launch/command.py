"""The launcher's command body, free of click (the plain command line never imports it).

``remote-http-launcher CONFIG [--connection-dir D] [--json] [--log-level L]`` is parsed by
:func:`.fastpath.parse_argv` and runs here directly; anything else goes through the click
command in :mod:`.cli`, which calls the same :func:`launch`.
"""

from __future__ import annotations

import json
import sys

from .errors import ConfigError, LauncherError

#: Usage and configuration errors (the reference's argparse used 2 for usage errors).
EXIT_USAGE = 2


def launch(
    config: str,
    connection_dir: str | None,
    dry_run: bool,
    log_level: str | None,
    log_file: str | None,
    debug_log_file: str | None,
    as_json: bool,
    idle_timeout: float,
) -> int:
    from . import api, client_check, fastpath, limits, sequence
    from .config import Configuration

    try:
        sig = fastpath.signature(config)
    except OSError:
        sig = None
    try:
        configuration = Configuration.from_yaml(
            config, log_level=log_level, log_file=log_file, debug_log_file=debug_log_file
        )
        # Blocks too large for the OS to pass are refused here, before anything starts.
        limits.check(configuration, idle_timeout)
    except ConfigError as exc:
        raise LauncherError(f"invalid configuration {config}: {exc.message}", EXIT_USAGE) from None
    if dry_run:
        sys.stdout.write(sequence.dry_run_command(configuration) + "\n")
        return 0
    try:
        payload = api.run(
            configuration,
            connection_dir=connection_dir,
            log_level=log_level,
            log_file=log_file,
            debug_log_file=debug_log_file,
            idle_timeout=idle_timeout,
        )
    except LauncherError as exc:
        raise SystemExit(exc.exit_code) from None  # the observer has said it already
    if sig is not None:
        handshake = configuration.handshake
        entry = {
            "key": configuration.key,
            "target": client_check.target_of(handshake),
            "port_name": handshake.port_name if handshake is not None else None,
            "handshake": handshake is not None,
            "log_level": configuration.log_level,
            "log_files": bool(
                configuration.log_file or configuration.debug_log_file or log_file or debug_log_file
            ),
            "ssh_target": configuration.ssh_target if configuration.is_remote else None,
        }
        fastpath.remember(config, connection_dir, entry, sig)
    if as_json:
        sys.stdout.write(json.dumps(payload, sort_keys=True) + "\n")
    return 0


def run_plain(argv: list[str]) -> None:
    """Run a plain command line without click and exit; return if the argv is not plain."""
    from ..cli._out import run_reporting
    from .fastpath import parse_argv

    options = parse_argv(argv)
    if options is None:
        return

    def action() -> int:
        return launch(
            config=options["config"],
            connection_dir=options["connection_dir"],
            dry_run=False,
            log_level=options["log_level"],
            log_file=None,
            debug_log_file=None,
            as_json=options["json"],
            idle_timeout=60.0,
        )

    raise SystemExit(run_reporting("remote-http-launcher", EXIT_USAGE, action))
