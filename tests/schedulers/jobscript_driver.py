"""Print the worker job script the Dask wrapper would submit, for the job-script goldens.

Runs with the python of the side venv (``jobscript_venv.py``), never with ours. For each
case it does what ``seamless_dask.wrapper.main`` does up to the cluster's creation: build the
wrapper configuration from the ``file_parameters`` with the real
``build_wrapper_configuration``, merge its ``jobqueue`` and Dask settings into the Dask
config, instantiate the class named by the ``cluster_string`` and ask it for
``job_script()``. The cluster is closed straight away; no job is submitted.

stdin: a JSON list of cases ``{"id", "cluster_string", "parameters", "port_range", "log"}``
(``log``: the service's log file, which the wrapper names the job logs after).
stdout: one JSON line per case, ``{"id", "script", "scheduler_address"}`` or ``{"id", "error"}``.
"""

from __future__ import annotations

import importlib
import json
import os
import sys

import dask.config
from seamless_dask import wrapper

HOST = "127.0.0.1"


def job_script(case):
    wrapper._close_log_handle()
    wrapper.configure_log_handle({"log": case["log"]})
    built = wrapper.build_wrapper_configuration(
        host=HOST, port_range=tuple(case["port_range"]), parameters=case["parameters"]
    )
    dask.config.refresh()  # nothing from the previous case
    dask.config.update(dask.config.config, {"jobqueue": built.jobqueue_config})
    dask.config.update(dask.config.config, built.dask_config)
    module_name, class_name = case["cluster_string"].split("::", 1)
    cluster_class = getattr(importlib.import_module(module_name), class_name)
    cluster = cluster_class()
    try:
        return cluster.job_script(), cluster.scheduler_address
    finally:
        cluster.close()


def main():
    cases = json.load(sys.stdin)
    os.environ.pop("CONDA_PREFIX", None)  # the OAR prologue would re-export it
    for case in cases:
        try:
            script, address = job_script(case)
            result = {"id": case["id"], "script": script, "scheduler_address": address}
        except Exception as exc:  # reported per case, the others still run
            result = {"id": case["id"], "error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
