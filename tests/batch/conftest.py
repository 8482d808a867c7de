"""Fixtures for the batch tests: real SLURM and real OAR on this machine, and a frontend whose
``svc`` account can launch the Dask wrapper on them.

These tests start system daemons (munged, slurmctld, slurmd, PostgreSQL, OAR's Almighty and
node sshd), so they run only in the ``batch`` nox session, which sets ``RHL_BATCH_TESTS=1``.
Anywhere else they are skipped, with that reason (``test_packages.py`` starts nothing and runs
everywhere). With ``RHL_BATCH_TESTS=1`` a missing piece (Debian package, root, the Dask
packages) is a failure, never a skip; as root the missing Debian packages are installed
(``batch_support.ensure_packages``; the nox session does it before pytest starts).

Daemons found running are reused and left running; the ones started here are stopped at the
end of the session (``RHL_BATCH_KEEP=1`` keeps them, for quicker local iterations). Jobs of
``svc`` that appear during the session and are still queued at its end are cancelled, and the
timings measured on the way are printed in the terminal summary and written to
``$RHL_TEST_CACHE/batch/timings.json``.
"""

from __future__ import annotations

import json
import os
import pathlib
import time
from collections.abc import Callable, Iterator
from typing import NoReturn

import pytest

from sshd_support import SSHD, SYSTEM_PATH

from . import batch_support
from .batch_support import BatchError

HERE = pathlib.Path(__file__).resolve().parent
ENABLED = bool(os.environ.get("RHL_BATCH_TESTS"))
SKIP_REASON = (
    "starts real SLURM and OAR daemons: runs only in the batch nox session "
    "(`./dev nox -s batch`, which sets RHL_BATCH_TESTS=1)"
)
#: Test files here that start no daemon and run in every session.
NO_DAEMONS = ("test_packages.py",)
#: What the session measured, in seconds, shown at the end.
TIMINGS: dict[str, float] = {}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "batch: starts real SLURM/OAR; only with RHL_BATCH_TESTS=1")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip before any fixture runs, so that no daemon starts outside the batch session."""
    if ENABLED:
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if HERE in item.path.parents and item.path.name not in NO_DAEMONS:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TIMINGS:
        return
    terminalreporter.section("batch timings (seconds)")
    for name, seconds in TIMINGS.items():
        terminalreporter.write_line(f"{name:<40} {seconds:8.2f}")
    try:
        (batch_support.state_dir() / "timings.json").write_text(json.dumps(TIMINGS, indent=2) + "\n")
    except OSError:
        pass


def _fail(exc: BaseException) -> NoReturn:
    pytest.fail(f"batch setup: {exc}", pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def _batch_needs_root() -> None:
    """Before the session fixtures (the sshd one would skip without root): a failure here,
    which also says exactly what to install when packages are missing."""
    if ENABLED and os.getuid() != 0:
        try:
            batch_support.ensure_packages(["slurm", "oar"])
        except BatchError as exc:
            _fail(BatchError(f"the batch tests need root (they start system daemons); {exc}"))
        pytest.fail("batch setup: the batch tests need root (they start system daemons)", pytrace=False)


@pytest.fixture(scope="session")
def batch_bin() -> pathlib.Path:
    """bin/ of the svc-readable venv with dask-jobqueue and seamless-dask-wrapper."""
    began = time.monotonic()
    try:
        path = batch_support.batch_venv()
    except BatchError as exc:
        _fail(exc)
    TIMINGS.setdefault("svc batch venv build (0 when cached)", time.monotonic() - began)
    return path


def _scheduler(
    name: str, up: Callable[[], list[pathlib.Path]], jobs: Callable[[str], dict[str, str]], cancel: list[str]
) -> Iterator[Callable[[str], dict[str, str]]]:
    began = time.monotonic()
    try:
        started = up()
    except BatchError as exc:
        _fail(exc)
    TIMINGS[f"{name} start ({len(started)} daemons started)"] = time.monotonic() - began
    baseline = set(jobs("svc"))
    yield jobs
    try:
        leftovers = sorted(set(jobs("svc")) - baseline)
        if leftovers:  # a failed test: its jobs must not outlive the session
            batch_support.run([*cancel, *leftovers], timeout=60, check=False)
            batch_support.wait_until(
                lambda: not set(jobs("svc")) - baseline, 60, f"{name} leftovers cancelled"
            )
    finally:
        if not os.environ.get("RHL_BATCH_KEEP"):
            began = time.monotonic()
            with batch_support.locked(name):
                batch_support.down(started)
            TIMINGS[f"{name} stop"] = time.monotonic() - began


@pytest.fixture(scope="session")
def slurm() -> Iterator[Callable[[str], dict[str, str]]]:
    """SLURM up for the session; yields ``jobs(user) -> {id: state}`` (squeue)."""
    yield from _scheduler("slurm", batch_support.slurm_up, batch_support.slurm_jobs, ["scancel"])


@pytest.fixture(scope="session")
def oar() -> Iterator[Callable[[str], dict[str, str]]]:
    """OAR up for the session; yields ``jobs(user) -> {id: state}`` (oarstat, unfinished jobs)."""
    yield from _scheduler("oar", batch_support.oar_up, batch_support.oar_jobs, ["oardel"])


@pytest.fixture
def batch_frontend(sshd_isolated: SSHD, batch_bin: pathlib.Path) -> SSHD:
    """The test sshd with fresh homes, svc's remote PATH starting with the batch venv (the
    launcher starts ``seamless-dask-wrapper`` by its bare name; SLURM workers inherit it)."""
    sshd_isolated.set_key_options("svc", None, path=f"{batch_bin}:{sshd_isolated.svc_venv}:{SYSTEM_PATH}")
    return sshd_isolated
