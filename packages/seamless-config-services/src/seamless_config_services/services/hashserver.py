"""The hashserver: the buffer store of a project/stage, persistent, in ``bufferdir{P}{S}``.

Command (spec §2.5)::

    hashserver[ --port-range S E] --status-file {status_file}[ --host NI] --timeout 600 WORKDIR[ --writable]

``--writable`` for mode ``rw`` only. hashserver writes ``.HASHSERVER_PREFIX`` into its
directory at start-up, which is the marker ``ps --persistent`` looks for.
"""

from __future__ import annotations

from .base import ServiceContext
from .data_service import DataService
from .launcher_fields import STATUS_FILE, TIMEOUT, host_option, port_range, render_command

MARKER = ".HASHSERVER_PREFIX"


class Hashserver(DataService):
    name = "hashserver"
    section = "hashserver"
    section_required = ("bufferdir",)
    root_field = "bufferdir"
    walk_marker = MARKER
    summary = "buffer store (persistent: bufferdir/<project>/<stage>)"

    def command(self, ctx: ServiceContext, workdir: str) -> str:
        words: list[object] = ["hashserver", *port_range(ctx.section), "--status-file", STATUS_FILE]
        words += [*host_option(ctx.section), "--timeout", TIMEOUT, workdir]
        if ctx.mode == "rw":
            words.append("--writable")
        return render_command(*words)
