"""The launcher's command body: ``remote-http-launcher CONFIG [OPTIONS]``.

The command line is parsed by the command table (:mod:`remote_http_launcher.commands`, the
one parser of every command) and arrives here as keyword arguments. The launch sequence
starts with the reuse check: on a cache hit (:mod:`.reuse`) the configuration is not even
parsed unless the connection file fails its check.
"""

from __future__ import annotations

import sys

from .errors import ConfigError, LauncherError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .config import Configuration

#: Usage and configuration errors (the reference's argparse used 2 for usage errors).
EXIT_USAGE = 2


def load_configuration(
    config: str, log_level: str | None, log_file: str | None, debug_log_file: str | None, idle_timeout: float
) -> Configuration:
    """Parse ``config`` with the command line's overrides; a configuration error (or a block too
    large for the OS to pass, refused before anything starts) is a usage error, exit 2."""
    from . import limits
    from .config import Configuration

    try:
        configuration = Configuration.from_yaml(
            config, log_level=log_level, log_file=log_file, debug_log_file=debug_log_file
        )
        limits.check(configuration, idle_timeout)
    except ConfigError as exc:
        raise LauncherError(f"invalid configuration {config}: {exc.message}", EXIT_USAGE) from None
    return configuration


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
    """Bring the service up (or reuse it) and write its connection file; the exit code."""
    from . import reuse, sequence
    from .progress import Observer

    overrides = [log_level, log_file, debug_log_file]
    sig = reuse.signature(config)
    content = reuse.content_checksum(config) if sig is not None else None  # before it is parsed
    directory = reuse.client_dir(connection_dir)

    def load() -> Configuration:
        return load_configuration(config, log_level, log_file, debug_log_file, idle_timeout)

    plan = None
    if not dry_run and sig is not None:
        plan = reuse.lookup(directory, config, sig, overrides, load, idle_timeout, content)
    cached = plan is not None
    if plan is None:
        configuration = load()
        if dry_run:
            sys.stdout.write(sequence.dry_run_command(configuration) + "\n")
            return 0
        plan = reuse.Plan.of(configuration)
    try:
        observer = Observer(
            plan.key, level=plan.level, log_file=plan.log_file, debug_log_file=plan.debug_log_file
        )
        # This process ends once the service answers: a local launch helper runs in it.
        payload = sequence.launch(
            plan, connection_dir=directory, observer=observer, idle_timeout=idle_timeout, in_process=True
        )
    except LauncherError as exc:
        return exc.exit_code  # the observer has said it already
    # Record the plan after a run that parsed the configuration (a local one with its
    # evaluated launch arguments, for the next cold launch).
    refresh = not cached or (plan.ssh_target is None and plan.launch_args is None)
    if sig is not None and plan.loaded and refresh:
        configuration = plan.configuration()
        launch_args = None
        if not configuration.is_remote and content is not None:
            from .executors import LocalExecutor

            args = sequence.await_arguments(configuration, LocalExecutor(), idle_timeout)
            environment = reuse.launch_environment(idle_timeout)
            launch_args = (args, environment, content, reuse.local_facts(configuration))
        reuse.remember(directory, config, sig, overrides, plan, launch_args)
    if as_json:
        from ..jsontext import dumps  # json.dumps(payload, sort_keys=True), without json

        sys.stdout.write(dumps(payload) + "\n")
    return 0
