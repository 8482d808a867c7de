"""The database: ``seamless.db`` of a project/stage, persistent, in ``database_dir{P}{S}``.

Command (spec §2.5)::

    seamless-database[ --port-range S E] --status-file {status_file}[ --host NI] --timeout 600
        [ --writable] WORKDIR/seamless.db

Note the position of ``--writable`` (before the file, unlike hashserver). Without
``network_interface`` seamless-database binds ``0.0.0.0`` (hashserver: ``127.0.0.1``);
we keep 0.3.2's command line unchanged here (weak point 27 is left to a doctor check).
"""

from __future__ import annotations

from .base import ServiceContext
from .data_service import DataService
from .launcher_fields import STATUS_FILE, TIMEOUT, host_option, port_range, render_command

DATABASE_FILE = "seamless.db"


class Database(DataService):
    name = "database"
    section = "database"
    section_required = ("database_dir",)
    root_field = "database_dir"
    walk_file = DATABASE_FILE
    walk_marker = DATABASE_FILE
    summary = "transformation-result database (persistent: database_dir/<project>/<stage>/seamless.db)"

    def command(self, ctx: ServiceContext, workdir: str) -> str:
        words: list[object] = ["seamless-database", *port_range(ctx.section), "--status-file", STATUS_FILE]
        words += [*host_option(ctx.section), "--timeout", TIMEOUT]
        if ctx.mode == "rw":
            words.append("--writable")
        words.append(f"{workdir}/{DATABASE_FILE}")
        return render_command(*words)
