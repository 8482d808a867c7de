"""The install story of docs/services/install.md, run literally on a client venv that already
holds seamless-config 0.3.2 (with the reference remote-http-launcher 0.4.5 and seamless-config's
own ``seamless-service-*`` scripts): install ours over it, check, uninstall ours, check.

And the stack venv that every other test here uses was built the same way: its build record
shows the commands before (seamless-config's) and after (ours).
"""

from __future__ import annotations

import pathlib
import re
import shlex
import subprocess
import time

import pytest

from .conftest import timed
from .stack_support import (
    CONSTRAINTS,
    REFERENCE_SCRIPTS,
    ROOT,
    SYSTEM_PYTHON,
    StackVenv,
    describe_commands,
    run,
)

DOC = ROOT / "docs" / "services" / "install.md"
#: The commands of the install page, run here as written (from the checkout's root).
INSTALL = "pip install ./packages/remote-http-launcher ./packages/seamless-config-services"
UNINSTALL = "pip uninstall -y seamless-config-services remote-http-launcher"
RESTORE = "pip install --force-reinstall --no-deps remote-http-launcher==0.4.5 seamless-config==0.3.2"
OURS = {name: "seamless-config-services" for name in REFERENCE_SCRIPTS}
THEIRS = {name: "seamless-config" for name in REFERENCE_SCRIPTS}


def _version(distribution: str) -> str:
    """The version in our package's ``_version.py`` (``rhl`` or ``scs``)."""
    folder, package = {
        "rhl": ("remote-http-launcher", "remote_http_launcher"),
        "scs": ("seamless-config-services", "seamless_config_services"),
    }[distribution]
    text = (ROOT / "packages" / folder / "src" / package / "_version.py").read_text()
    found = re.search(r'^__version__ = "([^"]+)"', text, re.M)
    assert found, text
    return found.group(1)


def _pip(venv: pathlib.Path, command: str) -> None:
    words = shlex.split(command)
    assert words[0] == "pip"
    run([str(venv / "bin" / "pip"), "--disable-pip-version-check", *words[1:]], timeout=600, cwd=ROOT)


def test_the_install_page_shows_these_commands() -> None:
    text = DOC.read_text()
    wheels = (
        f"pip install dist/remote_http_launcher-{_version('rhl')}-py3-none-any.whl "
        f"dist/seamless_config_services-{_version('scs')}-py3-none-any.whl"
    )
    for command in (INSTALL, UNINSTALL, RESTORE, wheels):
        assert command in text, f"{DOC.name} must show: {command}"


@pytest.mark.timeout(900)  # builds a client venv from PyPI (about 30 s with a warm pip cache)
def test_install_over_seamless_config_then_uninstall(tmp_path: pathlib.Path) -> None:
    venv = tmp_path / "client"
    began = time.monotonic()
    run([SYSTEM_PYTHON, "-m", "venv", str(venv)], timeout=120)
    run(
        [str(venv / "bin" / "pip"), "install", "-q", "seamless-config==0.3.2", "-c", str(CONSTRAINTS)],
        timeout=600,
    )
    timed("install story: client venv with seamless-config 0.3.2", time.monotonic() - began)
    before = describe_commands(venv)
    assert before["scripts"] == THEIRS
    assert before["versions"] == {
        "remote-http-launcher": "0.4.5",
        "seamless-config": "0.3.2",
        "seamless-config-services": None,
    }

    began = time.monotonic()
    _pip(venv, INSTALL)
    timed("install story: pip install ours over it", time.monotonic() - began)
    after = describe_commands(venv)
    assert after["scripts"] == OURS
    scs, rhl = _version("scs"), _version("rhl")
    assert after["versions"] == {
        "remote-http-launcher": rhl,
        "seamless-config": "0.3.2",
        "seamless-config-services": scs,
    }
    version = subprocess.run(
        [str(venv / "bin" / "seamless-service-ps"), "--version"], capture_output=True, text=True, timeout=30
    )
    assert (version.returncode, version.stdout) == (
        0,
        f"seamless-service-ps, version {scs} (seamless-config-services)\n",
    )
    # seamless-config still imports, and its launches go to our remote_http_launcher.run.
    probe = (
        "import seamless_config, seamless_config.tools, seamless_remote.buffer_client\n"
        "import remote_http_launcher\n"
        "print(remote_http_launcher.__version__, remote_http_launcher.run.__module__)\n"
    )
    out = run([str(venv / "bin" / "python"), "-c", probe], timeout=60).stdout.split()
    assert out == [rhl, "remote_http_launcher.launch.api"], out
    check = subprocess.run([str(venv / "bin" / "pip"), "check"], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr

    began = time.monotonic()
    _pip(venv, UNINSTALL)
    gone = describe_commands(venv)
    # pip removes the script files both distributions list: seamless-config's are gone too...
    assert gone["scripts"] == {name: "missing" for name in REFERENCE_SCRIPTS}
    # ...which is why the page restores seamless-config (and the reference launcher) after it.
    _pip(venv, RESTORE)
    timed("install story: uninstall ours, restore seamless-config", time.monotonic() - began)
    restored = describe_commands(venv)
    assert restored == before
    assert not (venv / "bin" / "seamless-service-doctor").exists()


def test_the_stack_venv_was_built_the_documented_way(stack_venv: StackVenv) -> None:
    record = stack_venv.record
    if not record.get("before"):
        pytest.fail(f"{stack_venv.path}: no build record in its marker file", pytrace=False)
    assert record["before"]["scripts"] == THEIRS
    assert record["before"]["versions"]["remote-http-launcher"] == "0.4.5"
    assert record["after"]["scripts"] == OURS
    assert record["after"]["versions"]["remote-http-launcher"] == _version("rhl")
    assert record["after"]["versions"]["seamless-config-services"] == _version("scs")
    assert " ".join(record["install"]).replace(str(ROOT), ".").startswith("pip install -q")
