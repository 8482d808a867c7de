"""How worker-job counts appear in ``seamless-service-ps`` (rows only; the counting itself runs
against real SLURM and OAR in tests/batch)."""

from __future__ import annotations

from typing import Any

from seamless_config_services import workerjobs
from seamless_config_services.rows import empty_row, format_table, jobs_cell, json_row


def dask_row(**values: Any) -> dict[str, Any]:
    return empty_row(
        service="pure-daskserver", cluster="hpc", process="running", port=40123, persistent="n/a", **values
    )


def test_jobs_column_appears_only_when_something_was_counted() -> None:
    plain = [empty_row(service="hashserver", cluster="hpc", project="p", process="running", port=5813)]
    assert "JOBS" not in format_table(plain)
    counted = [*plain, dask_row(jobs={"running": 1, "pending": 2})]
    assert format_table(counted) == (
        "SERVICE         PROJECT STAGE PROCESS PORT  PERSISTENT SIZE JOBS\n"
        "hashserver      p       -     running 5813  -          -    -\n"
        "pure-daskserver -       -     running 40123 n/a        -    1 running, 2 pending\n"
    )


def test_jobs_column_in_the_wide_table_follows_size() -> None:
    row = dask_row(jobs={"running": 0, "pending": 0, "other": 1}, host="login", key="k")
    table = format_table([row], wide=True)
    header, line = table.splitlines()
    assert header.split() == [
        "CLUSTER", "SERVICE", "MODE", "PROJECT", "STAGE", "SUBSTAGE", "PROCESS", "PORT",
        "PERSISTENT", "SIZE", "JOBS", "HOST", "KEY",
    ]  # fmt: skip
    assert "0 running, 0 pending, 1 other" in line


def test_jobs_cell_and_json() -> None:
    assert jobs_cell(None) is None
    assert jobs_cell({"running": 3, "pending": 0}) == "3 running, 0 pending"
    row = dask_row(jobs={"running": 1, "pending": 0}, _target="svc@hpc")
    data = json_row(row)
    assert data["jobs"] == {"running": 1, "pending": 0}
    assert "_target" not in data


def test_counts_normalise_states() -> None:
    answer = {
        "jobs": [
            {"id": "1", "state": "running"},
            {"id": "2", "state": "pending"},
            {"id": "3", "state": "pending"},
            {"id": "4", "state": "other"},
        ]
    }
    assert workerjobs.counts(answer) == {"running": 1, "pending": 2, "other": 1}
    assert workerjobs.counts({"jobs": []}) == {"running": 0, "pending": 0}
