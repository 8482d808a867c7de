"""The seamless-service-* commands run from one click-free command table (issue 16).

* help parity: the table's help, rendered by remote-http-launcher's plain-string renderer, is
  what click renders for the same table entry and what the installed command prints (the docs
  pages hold the same text: tests/test_docs.py);
* the strict parser accepts only what click accepts, with the same values; whatever it does
  not take goes to click built from the table, so the installed command and click agree on
  every command line, byte for byte (usage errors, odd spellings, eager options);
* the common path imports neither click nor ``importlib.metadata`` nor
  ``importlib.resources``: plugins are found by ``remote_http_launcher.entrypoints``, which
  reads what ``importlib.metadata`` reads (compared here), and
  ``SEAMLESS_CONFIG_SERVICES_PLUGINS`` still limits which load.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import pathlib
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from project_support import Project, imported, project_with_connection_files

from conftest import find_command
from remote_http_launcher.commands import UsageError, parse_entry, render_help
from remote_http_launcher.entrypoints import find_entry_points
from seamless_config_services import plugins
from seamless_config_services.cli import COMMANDS, _click, _run, _table

NAMES = sorted(COMMANDS)
HEAVY = ("click", "importlib.metadata", "importlib.resources", "email", "zipfile")
HS_KEY = "hashserver-here-rw-myproj"


@pytest.fixture
def project(tmp_path: pathlib.Path) -> Project:
    return project_with_connection_files(tmp_path)


def click_help(name: str) -> str:
    built = _click.build(_table.entry(name))
    ctx = built.make_context(name, ["--help"], resilient_parsing=True)
    return str(built.get_help(ctx)) + "\n"


@pytest.mark.parametrize("name", NAMES)
def test_table_help_equals_click_help_of_the_same_table(name: str) -> None:
    assert render_help(_table.entry(name)) == click_help(name)


@pytest.mark.parametrize("name", NAMES)
def test_installed_help_is_the_tables(name: str, project: Project) -> None:
    shown = project.run(name, "--help")
    assert (shown.returncode, shown.stdout, shown.stderr) == (0, render_help(_table.entry(name)), "")
    short = project.run(name, "-h")
    assert (short.returncode, short.stdout) == (0, shown.stdout)


@pytest.mark.parametrize(
    "argv",
    [
        ["seamless-service-resolve", "--service", "hashserver"],
        ["seamless-service-resolve", "--service", "hashserver", "--json"],
        ["seamless-service-ps"],
        ["seamless-service-ps", "--json"],
        ["seamless-service-ps", "--help"],
        ["seamless-service-stop", "--json-schema"],
        ["seamless-service-doctor", "--help"],
    ],
    ids=" ".join,
)
def test_the_common_path_imports_no_click_and_no_importlib_metadata(
    argv: list[str], project: Project
) -> None:
    proc, modules = imported(project, *argv)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "seamless_config_services.cli._run" in modules  # the detection sees our modules
    assert not {m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY}, sorted(
        m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY
    )


def test_a_usage_error_is_worded_by_click(project: Project) -> None:
    proc, modules = imported(project, "seamless-service-ps", "--bogus")
    assert proc.returncode == 2 and "click" in modules
    assert "Error: No such option '--bogus'" in proc.stderr


#: Command lines for the differential test: usage errors, spellings only click accepts, eager
#: options in both orders, values that fail click's types after parsing.
DIFFERENTIAL = [
    ("seamless-service-ps", []),
    ("seamless-service-ps", ["--json"]),
    ("seamless-service-ps", ["-lq"]),
    ("seamless-service-ps", ["-l", "-q"]),
    ("seamless-service-ps", ["-ql", "--wide"]),
    ("seamless-service-ps", ["--status", "running", "--status", "client"]),
    ("seamless-service-ps", ["--status=client", "-q"]),
    ("seamless-service-ps", ["--status", "-x"]),
    ("seamless-service-ps", ["--status", "bogus"]),
    ("seamless-service-ps", ["--status"]),
    ("seamless-service-ps", ["--bogus"]),
    ("seamless-service-ps", ["--wid"]),
    ("seamless-service-ps", ["--help", "--bogus"]),
    ("seamless-service-ps", ["--bogus", "--help"]),
    ("seamless-service-ps", ["--json-schema", "--help"]),
    ("seamless-service-ps", ["--help", "--json-schema"]),
    ("seamless-service-ps", ["--json-schema", "--service", "nope"]),
    ("seamless-service-ps", ["--service", "nope", "--json-schema"]),
    ("seamless-service-ps", ["--json-schema", "--status", "bogus"]),
    ("seamless-service-ps", ["--help=1"]),
    ("seamless-service-ps", ["--json=1"]),
    ("seamless-service-ps", ["extra"]),
    ("seamless-service-ps", ["--", "x"]),
    ("seamless-service-ps", ["--"]),
    ("seamless-service-ps", ["-"]),
    ("seamless-service-ps", ["--client", "--server"]),
    ("seamless-service-ps", ["--json", "--quiet"]),
    ("seamless-service-ps", ["--workdir", "/etc/hostname"]),
    ("seamless-service-ps", ["--workdir", "/nonexistent/dir"]),
    ("seamless-service-ps", ["--project", "--help"]),
    ("seamless-service-ps", ["--cluster", "here", "--cluster", "gone"]),
    ("seamless-service-resolve", ["--service", "hashserver"]),
    ("seamless-service-resolve", ["--service=hashserver", "--json"]),
    ("seamless-service-resolve", ["--service", "nope"]),
    ("seamless-service-resolve", ["--service", "hashserver", "--service", "nope"]),
    ("seamless-service-resolve", ["--service", "nope", "--mode", "xx"]),
    ("seamless-service-resolve", ["--mode", "xx", "--service", "nope"]),
    ("seamless-service-resolve", ["--service"]),
    ("seamless-service-resolve", ["--serv", "hashserver"]),
    ("seamless-service-resolve", ["--service", "database", "--mode", "ro", "--stage", "s1"]),
    ("seamless-service-resolve", []),
    ("seamless-service-logs", ["--tail", "-1"]),
    ("seamless-service-logs", ["--tail", "x"]),
    ("seamless-service-logs", ["-f", "--json", "--service", "hashserver"]),
    ("seamless-service-logs", ["-fh"]),
    ("seamless-service-doctor", ["--bogus"]),
    ("seamless-service-doctor", ["--service", "nope"]),
    ("seamless-service-doctor", ["--json-schema"]),
    ("seamless-service-stop", ["--json-schema=1"]),
    ("seamless-service-start", ["--service", "nope", "--json"]),
]


def via_click(project: Project, name: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """``argv`` run by click built from the table (what the runner hands on when its parser
    refuses): the behaviour of the click commands these were."""
    code = (
        "import sys\n"
        "from seamless_config_services.cli import _click, _common, _table\n"
        f"_common.set_program({name!r})\n"
        f"_click.main(_table.entry({name!r}), sys.argv[1:])\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=project.dir,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "argv"), DIFFERENTIAL, ids=[f"{n[17:]} {' '.join(a)}" for n, a in DIFFERENTIAL]
)
def test_the_installed_command_does_what_click_from_the_table_does(
    name: str, argv: list[str], project: Project
) -> None:
    ours = project.run(name, *argv)
    theirs = via_click(project, name, argv)
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr)


def closed_stdout(project: Project, argv: list[str]) -> tuple[int, str]:
    """``argv`` run with a stdout whose reader is already gone: exit code and stderr."""
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(
            argv,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            cwd=project.dir,
            env=project.env,
            timeout=120,
        )
    finally:
        os.close(write)
    return proc.returncode, proc.stderr


@pytest.mark.parametrize("args", [["--help"], ["--json-schema"], ["--json"], ["-q"], []], ids=" ".join)
def test_a_closed_stdout_ends_the_command_as_click_did(args: list[str], project: Project) -> None:
    """No traceback, no 'Exception ignored': 141 from a body, 1 from click's own --help (and
    --json-schema) answer."""
    name = "seamless-service-ps"
    code = (
        "import sys\n"
        "from seamless_config_services.cli import _click, _common, _table\n"
        f"_common.set_program({name!r})\n"
        f"_click.main(_table.entry({name!r}), sys.argv[1:])\n"
    )
    ours = closed_stdout(project, [find_command(name), *args])
    assert ours == closed_stdout(project, [sys.executable, "-c", code, *args])
    assert ours == ((1 if args[:1] in (["--help"], ["--json-schema"]) else 141), "")


def test_usage_errors_keep_clicks_layout_and_exit_codes(project: Project) -> None:
    bogus = project.run("seamless-service-ps", "--bogus")
    assert bogus.returncode == 2 and bogus.stdout == ""
    assert bogus.stderr.startswith(
        "Usage: seamless-service-ps [OPTIONS]\nTry 'seamless-service-ps --help' for help.\n\n"
        "Error: No such option '--bogus'."
    )
    doctor = project.run("seamless-service-doctor", "--bogus")
    assert doctor.returncode == 64 and doctor.stderr.startswith("Usage: seamless-service-doctor [OPTIONS]\n")
    tail = project.run("seamless-service-logs", "--tail", "-1")
    assert tail.returncode == 2
    assert tail.stderr.endswith("Error: Invalid value for '--tail': -1 is not in the range x>=0.\n")
    service = project.run("seamless-service-resolve", "--service", "nope")
    assert service.returncode == 2
    assert "Error: Invalid value for '--service': 'nope' is not one of hashserver, database" in service.stderr
    schema = project.run("seamless-service-ps", "--service", "nope", "--json-schema")
    assert schema.returncode == 0  # eager, as click's was: nothing else is checked
    assert json.loads(schema.stdout)["$id"].endswith("seamless-service-ps-row/1")


def test_short_flags_combine_and_a_repeated_option_takes_the_last(project: Project) -> None:
    assert (
        project.run("seamless-service-ps", "-lq").stdout
        == project.run("seamless-service-ps", "-l", "-q").stdout
    )
    keys = project.ok("seamless-service-ps", "-q").stdout.split()
    assert sorted(keys) == ["database-here-rw-myproj", HS_KEY]
    last = project.ok("seamless-service-ps", "-q", "--status", "running", "--status", "client")
    assert sorted(last.stdout.split()) == sorted(keys)


TOKENS = st.sampled_from(
    [
        "--service", "hashserver", "database", "nope", "--cluster", "here", "--project", "p",
        "--mode", "ro", "rw", "xx", "--stage", "s1", "--workdir", "/tmp", "--status", "running",
        "client", "--json", "--quiet", "-q", "-l", "-lq", "--long", "--wide", "--client", "--",
        "-", "--x", "--json=1", "--status=failed", "--mode=ro", "--tail", "5", "-1", "-f",
        "--follow", "--previous", "--frontend-name", "",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(["seamless-service-ps", "seamless-service-logs"]), argv=st.lists(TOKENS, max_size=7)
)
def test_what_the_parser_accepts_click_accepts_with_the_same_values(name: str, argv: list[str]) -> None:
    entry = _table.entry(name)
    try:
        values = parse_entry(_run._parsing_entry(entry), argv)
    except UsageError:
        return  # click decides (the differential test above)
    for flag in ("help", "version", "json_schema"):
        assert values.pop(flag) is False  # no eager option among these tokens
    if not _run.selection_ok(values):
        return
    built = _click.build(entry)
    with built.make_context(name, list(argv)) as ctx:
        assert ctx.params == values


def _fake_plugins(site: pathlib.Path) -> None:
    """Two distributions with entry points of the plugin group (and one of another group)."""
    for dist, body in (
        ("alpha_plugin-1.0.dist-info", "[seamless_config_services]\nalpha = alpha_mod\n"),
        ("Beta.Plugin-2.0.dist-info", "[seamless_config_services]\nbeta = beta_mod:plugin\n[other]\nx = y\n"),
    ):
        (site / dist).mkdir(parents=True)
        (site / dist / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist.split('-')[0]}\nVersion: 1\n"
        )
        (site / dist / "entry_points.txt").write_text(body)


def test_plugins_are_found_as_importlib_metadata_finds_them(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_plugins(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    group = plugins.ENTRY_POINT_GROUP
    ours = {(ep.name, ep.value) for ep in find_entry_points(group)}
    theirs = {(ep.name, ep.value) for ep in importlib.metadata.entry_points(group=group)}
    assert ours == theirs and {("alpha", "alpha_mod"), ("beta", "beta_mod:plugin")} <= ours
    monkeypatch.delenv(plugins.ENV_PLUGINS, raising=False)
    assert {"alpha", "beta"} <= {ep.name for ep in plugins.selected_entry_points()}
    for limit, expected in (("", set()), ("beta", {"beta"}), (" alpha , nope", {"alpha"})):
        monkeypatch.setenv(plugins.ENV_PLUGINS, limit)
        assert {ep.name for ep in plugins.selected_entry_points()} == expected


def test_loading_the_plugins_does_not_import_importlib_metadata() -> None:
    code = (
        "import sys\n"
        "from seamless_config_services import plugins\n"
        "plugins.service_types(); plugins.schedulers()\n"
        "print(sorted(m for m in sys.modules if m.startswith(('importlib.metadata', 'email', 'zipfile'))))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "[]\n", "")
