"""rhl-jobs without a batch system: usage errors, what is answered from state files alone,
and the refusals that come before any scheduler command runs.

The scheduler side (real squeue/scontrol/scancel and oarstat/oardel) is exercised in
tests/batch against real SLURM and OAR.
"""

from __future__ import annotations

import pathlib

import pytest

from conftest import RhlEnv

#: A PATH with no scheduler command on it: a test that reaches squeue/oarstat fails loudly.
NO_SCHEDULER = {"PATH": "/nonexistent"}


def test_a_key_or_a_port_is_required(rhl: RhlEnv) -> None:
    result = rhl.run("rhl-jobs", "--system", "slurm")
    expected = (2, "", "rhl-jobs: give at least one KEY or --port\n")
    assert (result.returncode, result.stdout, result.stderr) == expected


def test_the_system_is_required(rhl: RhlEnv) -> None:
    result = rhl.run("rhl-jobs", "some-key")
    assert (result.returncode, result.stderr) == (2, "rhl-jobs: Missing option '--system'.\n")


@pytest.mark.parametrize(
    ("system", "message"),
    [
        ("pbs", "unknown batch system 'pbs' (known here: oar, slurm)"),
        ("SLURM", "invalid batch system name 'SLURM'"),
        ("../x", "invalid batch system name '../x'"),
    ],
)
def test_unknown_systems_are_usage_errors(rhl: RhlEnv, system: str, message: str) -> None:
    result = rhl.run("rhl-jobs", "--system", system, "--port", "8786", env=NO_SCHEDULER)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"rhl-jobs: {message}\n")


@pytest.mark.parametrize("port", ["0", "65536", "x", "-1"])
def test_bad_ports_are_usage_errors(rhl: RhlEnv, port: str) -> None:
    assert rhl.run("rhl-jobs", "--system", "slurm", "--port", port, env=NO_SCHEDULER).returncode == 2


def test_a_service_without_state_or_port_has_nothing_to_match(rhl: RhlEnv) -> None:
    rhl.write_server("pure-daskserver-c-q", {"status": "starting", "pid": 12345})
    result = rhl.run("rhl-jobs", "--system", "slurm", "gone-key", "pure-daskserver-c-q", env=NO_SCHEDULER)
    assert result.returncode == 0, result.stderr
    assert result.json_lines() == [
        {"key": "gone-key", "port": None, "system": "slurm", "jobs": [], "note": "no state file"},
        {
            "key": "pure-daskserver-c-q",
            "port": None,
            "system": "slurm",
            "jobs": [],
            "note": "no scheduler port recorded (the service never reached 'running')",
        },
    ]


def test_a_corrupt_state_file_is_an_error_for_that_key(rhl: RhlEnv) -> None:
    rhl.write_server("broken", None, raw="{not json")
    result = rhl.run("rhl-jobs", "--system", "oar", "broken", "--cancel", env=NO_SCHEDULER)
    assert result.returncode == 1
    (row,) = result.json_lines()
    assert row["cancelled"] == [] and row["error"].startswith("corrupt state: ")


def test_a_missing_scheduler_command_is_one_clear_line(rhl: RhlEnv) -> None:
    result = rhl.run("rhl-jobs", "--system", "slurm", "--port", "8786", env=NO_SCHEDULER)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "rhl-jobs: squeue not found: is SLURM installed on this host and on PATH?\n"
    result = rhl.run("rhl-jobs", "--system", "oar", "--port", "8786", env=NO_SCHEDULER)
    assert result.stderr == (
        "rhl-jobs: oarstat not found: is OAR (oar-user) installed on this host and on PATH?\n"
    )


def test_cancel_refuses_the_port_of_a_running_service_before_listing_anything(rhl: RhlEnv) -> None:
    """A port reused by a newer, live service: its workers are not ours to cancel."""
    data = rhl.launch("svc-live")
    port = data["port"]
    by_port = rhl.run("rhl-jobs", "--system", "slurm", "--cancel", "--port", str(port), env=NO_SCHEDULER)
    assert by_port.returncode == 1
    assert by_port.json_lines() == [
        {
            "key": None,
            "port": port,
            "system": "slurm",
            "jobs": [],
            "cancelled": [],
            "error": f"port {port} belongs to the running service svc-live: stop it first",
        }
    ]
    by_key = rhl.run("rhl-jobs", "--system", "slurm", "--cancel", "svc-live", env=NO_SCHEDULER)
    assert by_key.returncode == 1
    refusal = f"port {port} belongs to the running service svc-live: stop it first"
    assert by_key.json_lines()[0]["error"] == refusal


def recorded_oardel(tmp_path: pathlib.Path, text: str, code: int) -> dict[str, str]:
    """An ``oardel`` that answers as OAR 2.5.9's did (lines recorded from the real one)."""
    bin_dir = tmp_path / "oarbin"
    bin_dir.mkdir()
    script = bin_dir / "oardel"
    script.write_text(f"#!/bin/sh\n/bin/cat <<'EOF'\n{text}EOF\nexit {code}\n")
    script.chmod(0o755)
    return {"PATH": str(bin_dir)}


@pytest.mark.parametrize(
    ("text", "code", "cancelled", "error"),
    [
        (
            "Deleting the job = 7 ...REGISTERED.\nThe job(s) [ 7 ] will be deleted in the near future.\n",
            0,
            ["7"],
            None,
        ),
        # The wrapper deleted its own job a moment before: not ours, not an error.
        ("Deleting the job = 7 ...ERROR.\nCannot frag 7 ; This job was already killed.\n", 6, [], None),
        (
            "Deleting the job = 7 ...ERROR.\nCannot frag 7 ; You are not the right user.\n",
            1,
            None,
            "oardel refused 7: You are not the right user.",
        ),
    ],
)
def test_oar_cancel_reads_oardel_per_job(
    text: str,
    code: int,
    cancelled: list[str] | None,
    error: str | None,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from remote_http_launcher import batchjobs
    from remote_http_launcher.errors import RhlError

    monkeypatch.setenv("PATH", recorded_oardel(tmp_path, text, code)["PATH"])
    if error is None:
        assert batchjobs.Oar().cancel(["7"]) == cancelled
    else:
        with pytest.raises(RhlError) as caught:
            batchjobs.Oar().cancel(["7"])
        assert caught.value.message == error
