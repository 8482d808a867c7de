"""Every installed command of both packages answers ``--version`` (exit 0, one line)."""

from __future__ import annotations

import subprocess

import pytest
import tomllib

from conftest import ROOT, find_command
from remote_http_launcher import __version__


def _commands() -> list[str]:
    names: list[str] = []
    for package in ("remote-http-launcher", "seamless-config-services"):
        project = tomllib.loads((ROOT / "packages" / package / "pyproject.toml").read_text())
        names += project["project"].get("scripts", {})
        shared = project["tool"]["hatch"]["build"]["targets"]["wheel"].get("shared-scripts", {})
        names += shared.values()
    return sorted(set(names))


def test_the_list_is_complete() -> None:
    names = _commands()
    assert {"rhl-example-service", "rhl-guard", "remote-http-launcher", "rhl-ps"} <= set(names)
    assert any(name.startswith("seamless-service-") for name in names)


@pytest.mark.parametrize("name", [n for n in _commands() if not n.startswith("seamless-service-")])
def test_server_side_command_answers_version(name: str) -> None:
    result = subprocess.run(
        [find_command(name), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{name}, version {__version__}\n", "")


@pytest.mark.parametrize("name", [n for n in _commands() if n.startswith("seamless-service-")])
def test_client_command_answers_version(name: str) -> None:
    result = subprocess.run(
        [find_command(name), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result
    assert result.stdout.startswith(f"{name}, version ") and result.stdout.count("\n") == 1
    assert result.stderr == ""
