"""The client's common paths import almost nothing beyond what they use (issue 16).

``seamless-service-ps --json`` (the client view), ``seamless-service-resolve`` and
``seamless-service-ps --server`` (with its plan cache filled by a first run) are what people
and agents run most, many times in a row; their start-up is most of their time. So they run
without the standard library's heavy general-purpose modules: no ``dataclasses`` (it imports
inspect, ast, tokenize, re), no ``typing`` at run time, no ``re``/``enum``, no ``json`` (the
launcher's JSON-exact ``jsontext``/``state`` instead), no ``subprocess`` for a command that
starts no process, no ``pluggy`` for a command that loads no plugin, no YAML parser for a
cached configuration. The installed scripts are plain stubs (the console-script wrapper
pip writes imports ``re``). Each command runs as a user runs it: the installed script, in a
project of its own.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest
from project_support import Project, imported, project_with_connection_files

from conftest import find_command

#: Never on the common paths (a name covers its submodules): general-purpose modules that
#: cost more to import than these commands' own work.
HEAVY = (
    "dataclasses",
    "inspect",
    "ast",
    "tokenize",
    "typing",
    "pluggy",
    "yaml",
    "click",
    "importlib.metadata",
    "importlib.resources",
)
#: Not for a command that starts no process and reads no JSON text but its own.
LEAN = ("json", "re", "enum", "subprocess", "selectors")


@pytest.fixture
def project(tmp_path: pathlib.Path) -> Project:
    return project_with_connection_files(tmp_path)


def heavy(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m in names or m.split(".")[0] in names)


def warm(project: Project, *argv: str) -> set[str]:
    """Run ``argv`` as a user's later command runs: after an earlier command filled the
    configuration cache (``resolve`` writes no cache: it has no side effects) and after a
    first run of its own (the ``ps`` plan cache); then once more, watched: what it imported."""
    for earlier in (["seamless-service-ps", "--server", "--cluster", "here"], list(argv)):
        done = project.run(*earlier)
        assert done.returncode == 0, done.stderr
    proc, modules = imported(project, *argv)
    assert (proc.returncode, proc.stdout) == (0, done.stdout), proc.stderr[-2000:]
    assert "seamless_config_services.cli._run" in modules  # the detection sees our modules
    return modules


CLIENT_VIEW = [["seamless-service-ps", "--json"], ["seamless-service-ps"]]
RESOLVE = [
    ["seamless-service-resolve", "--service", "hashserver"],
    ["seamless-service-resolve", "--service", "hashserver", "--json"],
]
PS_SERVER = ["seamless-service-ps", "--server", "--cluster", "here"]


@pytest.mark.parametrize("argv", CLIENT_VIEW, ids=" ".join)
def test_the_client_view_imports_no_heavy_module(argv: list[str], project: Project) -> None:
    found = heavy(warm(project, *argv), HEAVY)
    assert not found, " ".join(found)


@pytest.mark.parametrize("argv", CLIENT_VIEW, ids=" ".join)
def test_the_client_view_imports_no_json_re_or_subprocess(argv: list[str], project: Project) -> None:
    found = heavy(warm(project, *argv), LEAN)
    assert not found, " ".join(found)


@pytest.mark.parametrize("argv", RESOLVE, ids=" ".join)
def test_resolve_imports_no_heavy_module(argv: list[str], project: Project) -> None:
    """resolve loads the plugins (it needs the service type), without pluggy; no YAML parser
    (the files' parsed values are cached), no json, no subprocess. Only its key patterns
    (``resolve.KEY_PATTERN``) still need ``re``."""
    modules = warm(project, *argv)
    assert "seamless_config_services.services.builtin" in modules  # the plugins did load
    found = heavy(modules, HEAVY + tuple(m for m in LEAN if m not in ("re", "enum")))
    assert not found, " ".join(found)


def test_ps_server_with_its_plan_cached_imports_no_heavy_module(project: Project) -> None:
    modules = warm(project, *PS_SERVER)
    assert "seamless_config_services.plans" in modules
    found = heavy(modules, HEAVY)
    assert not found, " ".join(found)


def test_ps_server_with_its_plan_cached_imports_no_json_or_re(project: Project) -> None:
    found = heavy(warm(project, *PS_SERVER), ("json", "re", "enum"))
    assert not found, " ".join(found)


def test_the_installed_scripts_are_plain_stubs() -> None:
    """pip's console-script wrapper imports ``re``; ours are the same few lines for every
    command (the command is the file's name), as remote-http-launcher's helpers are."""
    from seamless_config_services.cli import COMMANDS

    bodies = {pathlib.Path(find_command(name)).read_text().split("\n", 1)[1] for name in COMMANDS}
    assert len(bodies) == 1
    (body,) = bodies
    assert "import re" not in body and "seamless_config_services.cli._entry" in body


def test_a_stub_under_another_name_says_so_in_one_line(tmp_path: pathlib.Path) -> None:
    stub = tmp_path / "seamless-service-bogus"
    stub.write_text(pathlib.Path(find_command("seamless-service-ps")).read_text())
    proc = subprocess.run(
        [sys.executable, str(stub), "--version"], capture_output=True, text=True, timeout=60
    )
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.splitlines() == [
        "seamless-service-bogus: not a seamless-service command (one of: seamless-service-ps, "
        "seamless-service-stop, seamless-service-rm, seamless-service-logs, seamless-service-inspect, "
        "seamless-service-clear, seamless-service-resolve, seamless-service-start, "
        "seamless-service-restart, seamless-service-doctor)"
    ]
