"""Running the commands: inline ``clusters`` first, then every other command in file order.

The selection starts empty for each load (a command-line tool loads once). Later commands
override earlier ones; a ``cluster`` command that switches to a different cluster drops the
queue selected so far. A ``queue`` command needs a cluster selected above it; whether that
cluster has the queue is checked once the final cluster is known (:mod:`.loader`), so a queue
of a cluster the command line replaces is never looked at.
"""

from __future__ import annotations

from ..model import Selection, field, record
from .checks import Where
from .commands import Command

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable


@record
class Outcome:
    selection: Selection = field(default_factory=Selection)
    #: The arguments of the ``clusters`` commands, in order, with where they were written.
    inline_clusters: list[Command] = field(default_factory=list)
    #: Where the selected queue was chosen (for the error when the cluster lacks it).
    queue_where: Where | None = None


def run(commands: Iterable[Command]) -> Outcome:
    outcome = Outcome()
    ordered = list(commands)
    outcome.inline_clusters = [c for c in ordered if c.name == "clusters"]
    for command in ordered:
        if command.name != "clusters":
            _apply(command, outcome)
    return outcome


def _apply(command: Command, outcome: Outcome) -> None:
    selection = outcome.selection
    name, value = command.name, command.value
    if name == "cluster":
        if value != selection.cluster:
            selection.queue = None
            outcome.queue_where = None
        selection.cluster = value
    elif name == "queue":
        if selection.cluster is None:
            raise command.where.error(
                "cannot select a queue before a cluster: put a 'cluster' command above it"
            )
        selection.queue = value
        outcome.queue_where = command.where
    else:
        setattr(selection, name, value)
