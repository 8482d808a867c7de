"""Raw dask-jobqueue on the real scheduler: the simplest proof that the batch setup works.

Run by ``test_batch_dask.py`` as the ``svc`` account with the batch venv's Python (root may
not ``oarsub``), in a directory svc owns::

    python raw_jobqueue.py slurm|oar

One worker job is submitted (``scale(1)``), ``21 * 2`` is computed on it, and the task reports
the batch job it ran in (``SLURM_JOB_ID`` / ``OAR_JOB_ID``); the scheduler is asked for that
job's state while the worker is still up, then the cluster is closed (dask-jobqueue cancels
the job). Prints one JSON object: ``result``, ``job_id``, ``job_state``, ``worker_up_s``,
``total_s``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def job_state(kind: str, job_id: str) -> str:
    if kind == "slurm":
        argv = ["squeue", "-h", "-j", job_id, "-o", "%T"]
    else:
        argv = ["oarstat", "-j", job_id, "-s"]  # "<id>: Running"
    out = subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout.strip()
    return out.rsplit(" ", 1)[-1] if out else ""


def main() -> int:
    kind = sys.argv[1]
    began = time.monotonic()
    from dask_jobqueue import OARCluster, SLURMCluster
    from distributed import Client

    common = {
        "cores": 1,
        "memory": "1GB",
        "processes": 1,
        "walltime": "00:10:00",
        "log_directory": os.getcwd(),
        "scheduler_options": {"host": "127.0.0.1"},
    }
    if kind == "slurm":
        cluster = SLURMCluster(queue="debug", **common)
        variable = "SLURM_JOB_ID"
    else:
        cluster = OARCluster(queue="default", memory_per_core_property_name="not_applicable", **common)
        variable = "OAR_JOB_ID"
    with cluster, Client(cluster) as client:
        cluster.scale(1)
        submitted = time.monotonic()
        client.wait_for_workers(1, timeout=120)
        worker_up = time.monotonic() - submitted
        future = client.submit(lambda x: (x * 2, __import__("os").environ.get(variable)), 21, pure=False)
        result, job_id = future.result(timeout=60)
        state = job_state(kind, str(job_id))
    print(
        json.dumps(
            {
                "result": result,
                "job_id": job_id,
                "job_state": state,
                "worker_up_s": round(worker_up, 2),
                "total_s": round(time.monotonic() - began, 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
