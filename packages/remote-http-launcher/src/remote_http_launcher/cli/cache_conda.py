"""rhl-cache-conda: discover conda and write the cache."""

from __future__ import annotations

from typing import Any

import click

from ..helpers.cache_conda import run
from ._base import HelperCommand


@click.command(
    "rhl-cache-conda",
    cls=HelperCommand,
    help="Find conda on this host and write ~/.remote-http-launcher/conda-setup.json.\n\n"
    "Tries, in order: $CONDA_EXE and conda on PATH, the conda initialize block of ~/.bashrc, "
    "then ~/miniforge3, ~/miniconda3, ~/mambaforge and ~/anaconda3. The first installation "
    "whose 'conda info --json' answers and whose conda.sh can 'conda activate base' is "
    "recorded: its conda.sh, its root prefix and its environments. No login shell is run. "
    "The file is replaced atomically. Run it again after creating or removing environments "
    "(the launch helper also refreshes it once when an environment is not listed).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the new cache as rhl-conda-info does.")
def command(**options: Any) -> int:
    """Parsed options go straight to the body (helpers/cache_conda.py), which owns their types."""
    return run(**options)
