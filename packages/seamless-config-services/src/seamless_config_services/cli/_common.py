"""What every seamless-service-* command shares: the selection flags and error reporting."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..api import Outcome, Request
from ..errors import ServiceError

F = TypeVar("F", bound=Callable[..., Any])
ENV_DEBUG = "SEAMLESS_SERVICES_DEBUG"
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100, "terminal_width": 100}


class ServiceName(click.ParamType):  # type: ignore[type-arg]
    """A registered service type (built-in or from a plugin); anything else is a usage error."""

    name = "SERVICE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from ..plugins import service_types

        try:
            names = service_types().names()
        except ServiceError as exc:
            self.fail(str(exc), param, ctx)
        if value not in names:
            self.fail(f"{value!r} is not one of {', '.join(names)}", param, ctx)
        return str(value)


def selection_options(func: F) -> F:
    """--service, --cluster, --project, ... (seamless-config 0.3.2's flags, same meaning)."""
    options = [
        click.option(
            "--service",
            type=ServiceName(),
            help="hashserver, database, jobserver, daskserver, pure-daskserver, or a plugin's type.",
        ),
        click.option("--cluster", metavar="NAME", help="Cluster (default: from seamless.profile.yaml)."),
        click.option(
            "--project",
            metavar="NAME",
            help="Project (default: from seamless.yaml); SEAMLESS_CACHE: the SEAMLESS_CACHE directory.",
        ),
        click.option("--subproject", metavar="NAME", help="Subproject (may contain '/')."),
        click.option(
            "--stage", metavar="NAME", help="Stage; its 'stage NAME' blocks in the command files apply."
        ),
        click.option("--substage", metavar="NAME", help="Substage (jobserver, daskserver)."),
        click.option(
            "--mode",
            type=click.Choice(["ro", "rw"]),
            help="Hashserver/database instance mode.  [default: rw]",
        ),
        click.option("--queue", metavar="NAME", help="Queue of the cluster (dask services)."),
        click.option("--frontend-name", metavar="HOSTNAME", help="Use the frontend with this hostname."),
        click.option(
            "--workdir",
            metavar="DIR",
            type=click.Path(file_okay=False),
            help="Read seamless.yaml / seamless.profile.yaml from DIR instead of the current directory.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def request_from(values: dict[str, Any]) -> Request:
    fields = (
        "service",
        "cluster",
        "project",
        "subproject",
        "stage",
        "substage",
        "mode",
        "queue",
        "frontend_name",
        "workdir",
    )
    return Request(**{name: values.pop(name, None) for name in fields})


def say(message: str) -> None:
    prog = click.get_current_context().info_name or "seamless-service"
    click.echo(f"{prog}: {message}", err=True)


def run_action(action: Callable[[], int | None]) -> None:
    """Run a command body: every error of ours is one line on stderr and its exit code."""
    try:
        code = action() or 0
    except ServiceError as exc:
        say(exc.message)
        code = exc.exit_code
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        sys.stderr.close()
        code = 141
    except Exception as exc:
        if os.environ.get(ENV_DEBUG):
            raise
        say(f"internal error: {type(exc).__name__}: {exc} (set {ENV_DEBUG}=1 for a traceback)")
        code = 70
    sys.exit(code)


def print_outcome(outcome: Outcome) -> int:
    for line in outcome.lines:
        click.echo(line)
    for problem in outcome.problems:
        say(problem)
    return outcome.exit_code


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, sort_keys=True))
