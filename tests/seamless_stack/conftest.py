"""Fixtures for the real-Seamless tests: the stack venv (PyPI client stack + ours) and a
per-test ``Stack`` world (see ``stack_support.py``).

These tests build a 300 MB venv from PyPI on first use and start real services, so they run
only in the ``seamless`` nox session, which sets ``RHL_SEAMLESS_TESTS=1``; anywhere else they
are skipped with that reason. With ``RHL_SEAMLESS_TESTS=1`` a venv that cannot be built is a
failure, never a skip. What the session measured is printed in the terminal summary and written
to ``$RHL_TEST_CACHE/seamless-timings.json``.
"""

from __future__ import annotations

import json
import os
import pathlib
import time
from collections.abc import Iterator

import pytest

from .stack_support import Stack, StackError, StackVenv, cache_root, ensure_stack_venv

HERE = pathlib.Path(__file__).resolve().parent
ENABLED = bool(os.environ.get("RHL_SEAMLESS_TESTS"))
SKIP_REASON = (
    "drives the real Seamless stack from PyPI: runs only in the seamless nox session "
    "(`./dev nox -s seamless`, which sets RHL_SEAMLESS_TESTS=1)"
)
#: What the session measured, in seconds, shown at the end.
TIMINGS: dict[str, float] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ENABLED:
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TIMINGS:
        return
    terminalreporter.section("seamless stack timings (seconds)")
    for name, seconds in TIMINGS.items():
        terminalreporter.write_line(f"{name:<60} {seconds:8.2f}")
    try:
        (cache_root() / "seamless-timings.json").write_text(json.dumps(TIMINGS, indent=2) + "\n")
    except OSError:
        pass


def timed(name: str, seconds: float) -> None:
    TIMINGS[name] = round(TIMINGS.get(name, 0.0) + seconds, 2)


@pytest.fixture(scope="session")
def stack_venv() -> StackVenv:
    began = time.monotonic()
    try:
        venv = ensure_stack_venv()
    except StackError as exc:
        pytest.fail(f"seamless stack setup: {exc}", pytrace=False)
    timed("stack venv (0 when cached; build measured when built)", time.monotonic() - began)
    if "total_seconds" in venv.record:
        TIMINGS.setdefault("stack venv: last full build (recorded)", venv.record["total_seconds"])
    return venv


@pytest.fixture
def stack(tmp_path: pathlib.Path, stack_venv: StackVenv, request: pytest.FixtureRequest) -> Iterator[Stack]:
    began = time.monotonic()
    world = Stack(tmp_path, stack_venv)
    try:
        yield world
    finally:
        world.close()
        timed(f"test {request.node.name}", time.monotonic() - began)
