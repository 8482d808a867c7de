"""The click-free fast path parses exactly like the click commands it is generated from.

Whatever the fast parser accepts, click must accept with the same values; whatever it
refuses is handed to click (the helper) or refused (the guard). Generated argv come from
each command's own option names mixed with hostile words.
"""

from __future__ import annotations

import subprocess
from typing import Any

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import RhlEnv, find_command
from remote_http_launcher.cli import COMMAND_MODULES, _genhelp, load_command
from remote_http_launcher.cli._fastparse import NotFast, parse
from remote_http_launcher.cli._specs import SPECS

HOSTILE = [
    "--",
    "-",
    "-h",
    "-x",
    "--x",
    "--json=1",
    "-5",
    "0",
    "1",
    "2.5",
    "nan",
    "inf",
    "-1",
    "..",
    ".",
    "a/b",
    "k1",
    "k-2",
    "/tmp/d",
    "~/d",
    "",
    " ",
    "a b",
    "$(id)",
    ";",
    "x\ny",
    "--level=2",
    "--tail=3",
    "--status-file",
    "hashserver",
    "-rf",
    "1e3",
    "0x10",
]


def _click_values(name: str, argv: list[str]) -> dict[str, Any] | None:
    command = load_command(name)
    try:
        ctx = command.make_context(name, list(argv), resilient_parsing=False)
    except (click.UsageError, click.exceptions.Exit, click.BadParameter):
        return None
    return dict(ctx.params)


@pytest.mark.parametrize("name", sorted(COMMAND_MODULES))
def test_generated_specs_are_current(name: str) -> None:
    assert SPECS[name] == _genhelp.spec(name), "run python -m remote_http_launcher.cli._genhelp"


def argv_for(name: str) -> st.SearchStrategy[list[str]]:
    words = sorted(SPECS[name]["options"]) + HOSTILE
    return st.lists(st.sampled_from(words) | st.text(max_size=6), max_size=7)


@pytest.mark.parametrize("name", sorted(COMMAND_MODULES))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fast_parser_agrees_with_click(name: str, data: st.DataObject) -> None:
    argv = data.draw(argv_for(name))
    if any(a in ("-h", "--help", "--version") for a in argv):
        return  # answered before parsing, on both paths
    try:
        fast = parse(SPECS[name], argv)
    except NotFast:
        return
    slow = _click_values(name, argv)
    assert slow is not None, f"fast path accepted what click rejects: {argv!r}"
    assert fast == slow, argv


def test_fast_and_click_paths_give_the_same_output(rhl: RhlEnv) -> None:
    rhl.write_server("k", {"status": "failed", "port": 3})
    for argv in (
        ["rhl-ps"],
        ["rhl-ps", "--json"],
        ["rhl-inspect", "k"],
        ["rhl-ps", "--host", "x"],
        ["rhl-stop", "k"],
        ["rhl-pid-alive", "0"],
        ["rhl-logs", "k"],
    ):
        fast = rhl.run(*argv)
        slow = rhl.run(*argv, env={"RHL_NO_FAST_PATH": "1"})
        assert (fast.returncode, fast.stdout, fast.stderr) == (slow.returncode, slow.stdout, slow.stderr), (
            argv
        )


def test_fast_help_matches_click_help(rhl: RhlEnv) -> None:
    for name in COMMAND_MODULES:
        fast = subprocess.run([find_command(name), "--help"], capture_output=True, text=True, env=rhl.env)
        assert fast.returncode == 0
        assert fast.stdout == _genhelp.render(name)
        version = subprocess.run(
            [find_command(name), "--version"],
            capture_output=True,
            text=True,
            env={**rhl.env, "RHL_NO_FAST_PATH": "1"},
        )
        assert version.stdout.startswith(f"{name}, version ")
