"""rhl-jobs: the batch jobs of Dask services (list, count, cancel)."""

from __future__ import annotations

from typing import Any

import click

from ..helpers.jobs import run
from ._base import HelperCommand, key_argument


@click.command(
    "rhl-jobs",
    cls=HelperCommand,
    usage_exit_code=2,
    help="List (or with --cancel, cancel) the batch jobs that run the Dask workers of the services "
    "with these KEYs, or of the Dask scheduler on --port.\n\n"
    "Only jobs of the user running this command are considered, and a job belongs to a service "
    "when its worker connects to the service's scheduler port (the 'port' in its state file). "
    "--cancel refuses a port that a running service still uses. One JSON object per KEY (and one "
    "for --port): key, port, system, jobs (id, state pending|running|other, name, "
    "scheduler_state), with --cancel the cancelled ids, and 'error' or 'note' when there was "
    "nothing to match. Exit 0 when every KEY was answered, 1 otherwise, 2 on a usage error.",
)
@click.argument("keys", metavar="[KEY]...", nargs=-1, callback=key_argument)
@click.option(
    "--system",
    required=True,
    metavar="NAME",
    help="The batch system: slurm, oar, or one added by a plugin.",
)
@click.option(
    "--port",
    type=click.IntRange(min=1, max=65535),
    default=None,
    help="Also match the jobs whose worker connects to this scheduler port.",
)
@click.option("--cancel", is_flag=True, help="Cancel the matched jobs.")
def command(**options: Any) -> int:
    """Parsed options go straight to the body (helpers/jobs.py), which owns their types."""
    return run(**options)
