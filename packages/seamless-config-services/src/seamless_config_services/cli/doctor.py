"""seamless-service-doctor: run the remote-debugging checklist and report.

Its usage errors exit 64 (the table entry's ``usage_exit_code``): its 2 means "problems found".
"""

from __future__ import annotations

import sys

from ._common import echo

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .. import api


def run(request: api.Request, *, as_json: bool, fix: bool) -> int:
    from ..doctor.run import run as run_doctor

    return run_doctor(request, as_json=as_json, fix=fix, write=_write)


def _write(text: str) -> None:
    echo(text, nl=False)
    sys.stdout.flush()
