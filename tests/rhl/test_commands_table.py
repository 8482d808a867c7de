"""The command table is the one source of every helper's help, parser and completion.

* help parity: the runner's plain-string ``--help`` equals what click renders for the same
  table entry, and is what the installed command prints;
* the word wrapper behind it equals click's (a :mod:`textwrap` subclass), which it replaces to
  keep ``re`` out;
* the one strict parser: whatever it accepts, click built from the table accepts with the same
  values; abbreviations, repeats and unknown options are refused by the installed helpers;
* every installed script is the same stub, and ``--help``/``--version`` import neither click
  nor ``re``.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
from typing import Any

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, RhlEnv, find_command
from remote_http_launcher.commands import COMMANDS, HELPERS, UsageError, _help, parse
from remote_http_launcher.commands import _click as table_click

NAMES = sorted(HELPERS)

HOSTILE = [
    "--", "-", "-h", "-x", "--x", "--json=1", "-5", "0", "1", "2.5", "nan", "inf", "-1", "..", ".",
    "a/b", "k1", "k-2", "/tmp/d", "~/d", "", " ", "a b", "$(id)", ";", "x\ny", "--level=2",
    "--tail=3", "--status-file", "hashserver", "-rf", "1e3", "0x10",
]  # fmt: skip


def test_every_entry_is_built_under_its_own_name() -> None:
    """The table builds each entry when it is first looked up: every name gives the command
    of that name, the helpers are every entry but the launcher, and an unknown name is not in
    the table (``get`` gives None; ``[]`` raises KeyError, which the runner words)."""
    assert [COMMANDS[name].name for name in COMMANDS] == list(COMMANDS)
    assert dict(COMMANDS.items()) == {command.name: command for command in COMMANDS.values()}
    assert set(COMMANDS) - HELPERS == {"remote-http-launcher"}
    assert "rhl-nope" not in COMMANDS and COMMANDS.get("rhl-nope") is None
    with pytest.raises(KeyError):
        COMMANDS["rhl-nope"]
    assert COMMANDS["rhl-ps"] is COMMANDS["rhl-ps"]


@pytest.mark.parametrize("name", NAMES)
def test_runner_help_equals_click_help_of_the_same_table(name: str) -> None:
    assert _help.render(COMMANDS[name]) == table_click.render(name)


@pytest.mark.parametrize("name", NAMES)
def test_installed_help_and_version_come_from_the_table(name: str, rhl: RhlEnv) -> None:
    shown = rhl.run(name, "--help")
    assert (shown.returncode, shown.stdout, shown.stderr) == (0, _help.render(COMMANDS[name]), "")
    version = rhl.run(name, "--version")
    assert version.returncode == 0 and version.stdout.startswith(f"{name}, version ")


PROSE = st.lists(
    st.sampled_from(
        [
            "rhl-stop,",
            "--no-status",
            "dot-prefixed",
            "a--b",
            "x",
            "STAGE-*",
            "(NDJSON,",
            "--",
            "-",
            "'stale';",
            "e.g.",
            "~/.cache/x)",
            "a-b-c",
            "1-2",
            "_x-y_",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "foo--bar",
            "x,--y",
            "  ",
            " ",
            "é-à",
        ]
    )
    | st.text(alphabet=st.sampled_from("ab-_ .,'1"), max_size=12),
    max_size=40,
)


@settings(max_examples=600, deadline=None)
@given(
    words=PROSE, width=st.integers(min_value=10, max_value=100), indent=st.sampled_from(["", "  ", "    "])
)
def test_wrapper_equals_clicks_textwrap(words: list[str], width: int, indent: str) -> None:
    text = " ".join(words)
    from click._textwrap import TextWrapper  # what click's help formatter wraps with

    wrapper = TextWrapper(width, initial_indent=indent, subsequent_indent=indent, replace_whitespace=False)
    assert _help.wrap(text, width, indent, indent) == wrapper.wrap(text)


def _click_values(name: str, argv: list[str]) -> dict[str, Any] | None:
    command = table_click.build(name)
    try:
        ctx = command.make_context(name, list(argv), resilient_parsing=False)
    except (click.UsageError, click.exceptions.Exit, click.BadParameter):
        return None
    return dict(ctx.params)


def argv_for(name: str) -> st.SearchStrategy[list[str]]:
    words = sorted(COMMANDS[name].option_map()) + HOSTILE
    return st.lists(st.sampled_from(words) | st.text(max_size=6), max_size=7)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_strict_parser_accepts_nothing_click_would_not(name: str, data: st.DataObject) -> None:
    argv = data.draw(argv_for(name))
    if any(a in ("-h", "--help", "--version") for a in argv):
        return  # answered before parsing
    try:
        ours = parse(name, argv)
    except UsageError:
        return
    theirs = _click_values(name, argv)
    assert theirs is not None, f"the table parser accepted what click rejects: {argv!r}"
    assert ours == theirs, argv


@pytest.mark.parametrize(
    ("argv", "exit_code", "stderr"),
    [
        (["rhl-ps", "--json", "--json"], 1, "rhl-ps: option '--json' given more than once\n"),
        (
            ["rhl-ps", "--js"],
            1,
            "rhl-ps: No such option '--js'. (Did you mean one of: '--host', '--json'?)\n",
        ),
        (
            ["rhl-stop", "--sigint", "1", "k"],
            1,
            "rhl-stop: No such option '--sigint'. Did you mean '--sigint-grace'?\n",
        ),
        (["rhl-ps", "--status", "-x"], 1, "rhl-ps: option '--status' requires a value\n"),
        (
            ["rhl-jobs", "--system", "a", "--system", "b"],
            2,
            "rhl-jobs: option '--system' given more than once\n",
        ),
        (
            ["rhl-pid-alive", "--wait", "--wait", "1"],
            64,
            "rhl-pid-alive: option '--wait' given more than once\n",
        ),
    ],
)
def test_installed_helpers_refuse_what_the_strict_parser_refuses(
    rhl: RhlEnv, argv: list[str], exit_code: int, stderr: str
) -> None:
    result = rhl.run(*argv)
    assert (result.returncode, result.stdout, result.stderr) == (exit_code, "", stderr)


def test_repeatable_options_repeat(rhl: RhlEnv) -> None:
    data = rhl.tmp / "d"
    (data / "keep-me").mkdir(parents=True)
    (data / "also").mkdir()
    (data / "gone").write_text("x")
    result = rhl.run("rhl-clear", "--keep", "keep-me", "--keep", "also", str(data))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in data.iterdir()) == ["also", "keep-me"]


SCRIPTS = ROOT / "packages" / "remote-http-launcher" / "scripts"


def test_every_installed_script_is_the_same_stub() -> None:
    if not SCRIPTS.is_dir():
        pytest.skip("no source checkout")
    texts = {path.read_text(encoding="utf-8") for path in SCRIPTS.iterdir() if path.name != "rhl-guard"}
    assert len(texts) == 1
    assert len(texts.pop().splitlines()) <= 10
    assert {p.name for p in SCRIPTS.iterdir()} == set(COMMANDS) | {"rhl-guard"}


@pytest.mark.parametrize("argv", [["rhl-ps", "--help"], ["rhl-stop", "--version"], ["rhl-clear", "-h"]])
def test_help_imports_neither_click_nor_re(argv: list[str], tmp_path: pathlib.Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", find_command(argv[0]), *argv[1:]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    modules = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert not {"click", "re", "textwrap", "typing", "dataclasses"} & modules, sorted(modules)


def test_python_dash_m_runs_the_same_runner(rhl: RhlEnv) -> None:
    for package in ("remote_http_launcher.commands", "remote_http_launcher.cli"):
        proc = subprocess.run(
            [sys.executable, "-m", package, "rhl-stop", "nope-key"],
            capture_output=True,
            text=True,
            env=rhl.env,
            timeout=60,
        )
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, "nope-key: missing state\n", "")
    bad = subprocess.run(
        [sys.executable, "-m", "remote_http_launcher.commands", "ls"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and bad.stderr.startswith("usage: ")


@pytest.mark.parametrize("name", NAMES)
def test_reference_page_documents_the_tables_exit_codes(name: str) -> None:
    """The table's exit codes are the page's: each one has its row (or bold entry) there."""
    import re

    text = (ROOT / "docs" / "reference" / f"{name}.md").read_text(encoding="utf-8")
    section = re.search(r"^## Exit codes\n(.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert section, name
    documented = {int(c) for c in re.findall(r"^\| (\d+) \|", section.group(1), re.MULTILINE)}
    documented |= {int(c) for c in re.findall(r"\*\*(\d+)\*\*", section.group(1))}
    entry = COMMANDS[name]
    assert set(entry.exit_codes) == documented, (name, sorted(entry.exit_codes), sorted(documented))
    assert entry.usage_exit_code in entry.exit_codes


def test_invoke_in_process_with_text_streams(rhl: RhlEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's in-process route: the public runner with its own streams; a stream without
    a byte buffer gets rhl-logs' bytes decoded; a usage error is one line and the exit code."""
    import io

    from remote_http_launcher.commands import invoke

    for name, value in rhl.env.items():
        monkeypatch.setenv(name, value)
    rhl.server.mkdir(parents=True)
    (rhl.server / "k.log").write_bytes(b"one \xff\n")
    before = sys.stdout, sys.stderr
    out, err = io.StringIO(), io.StringIO()
    assert invoke("rhl-logs", ["k"], stdout=out, stderr=err) == 0
    assert (out.getvalue(), err.getvalue()) == ("one \ufffd\n", "")
    out, err = io.StringIO(), io.StringIO()
    assert invoke("rhl-stop", ["--sigint-grace", "inf", "k"], stdout=out, stderr=err) == 1
    assert err.getvalue() == "rhl-stop: Invalid value for '--sigint-grace': 'inf' is not a finite number.\n"
    out, err = io.StringIO(), io.StringIO()
    assert invoke("rhl-batch", ["rhl-stop k", "rhl-ps --key"], stdout=out, stderr=err) == 0
    assert [line.count('"rc": 0') for line in out.getvalue().splitlines()] == [1, 1]
    assert (sys.stdout, sys.stderr) == before  # the process's streams are restored
