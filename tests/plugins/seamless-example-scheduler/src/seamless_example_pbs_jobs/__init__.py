"""The ``pbs`` batch system of ``rhl-jobs``: list and cancel a Dask service's PBS jobs.

Runs on the frontend, inside ``rhl-jobs``: it imports remote-http-launcher only (not
seamless-config-services, which the frontend need not have). ``rhl-jobs`` decides which
jobs belong to a service (the worker connects to the service's scheduler port); this adapter
answers three questions with PBS's own commands:

* which unfinished jobs does the user have: ``qstat -f -F json`` (OpenPBS / PBS Pro), the
  jobs whose ``Job_Owner`` is ``<user>@<host>``;
* what does a job run: ``qstat -f -F json <id>`` gives no script to a user, so the text
  searched is the job's ``Submit_arguments`` and ``Variable_List``: where a site's qsub records
  the script's worker command there, the job is recognised; otherwise no job is matched and
  none is cancelled (never a job that is not provably the service's);
* cancel: ``qdel <id>...``.
"""

from __future__ import annotations

import json

from remote_http_launcher.batchjobs import OTHER, PENDING, RUNNING, BatchSystem, Job, run_command
from remote_http_launcher.errors import RhlError

#: PBS job states (``job_state``): Q queued, H held, W waiting, T in transit, S suspended,
#: R running, B array begun, E exiting, F finished, M moved, X subjob finished.
PENDING_STATES = frozenset("QHWTS")
RUNNING_STATES = frozenset("RB")
DONE_STATES = frozenset("FMX")


def parse_jobs(listing: str, user: str) -> list[Job]:
    """The user's unfinished jobs in a ``qstat -f -F json`` listing."""
    try:
        data = json.loads(listing) if listing.strip() else {}
    except ValueError:
        raise RhlError("qstat -f -F json printed something that is not JSON") from None
    jobs = data.get("Jobs") if isinstance(data, dict) else None
    found = []
    for job_id, fields in sorted((jobs or {}).items()):
        if not isinstance(fields, dict):
            continue
        owner = str(fields.get("Job_Owner", ""))
        raw = str(fields.get("job_state", ""))
        if owner.split("@", 1)[0] != user or raw in DONE_STATES:
            continue
        normal = PENDING if raw in PENDING_STATES else RUNNING if raw in RUNNING_STATES else OTHER
        text = " ".join(str(fields.get(name, "")) for name in ("Submit_arguments", "Variable_List"))
        found.append(Job(str(job_id), normal, str(fields.get("Job_Name", "")), raw, text))
    return found


class Pbs(BatchSystem):
    name = "pbs"
    product = "PBS (OpenPBS or PBS Pro client commands)"

    def list_jobs(self, user: str) -> list[Job]:
        return parse_jobs(run_command(["qstat", "-f", "-F", "json"], what=self.product), user)

    def cancel(self, job_ids: list[str]) -> None:
        run_command(["qdel", *job_ids], what=self.product)
