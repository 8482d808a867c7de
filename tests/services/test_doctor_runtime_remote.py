"""Issue 15.4 over the real sshd: "a local fix is not a live fix" for a remote service.

The service runs on the ``svc`` account from a real editable install (``pip install -e``
offline, in a venv under a 0755 directory that svc can read); the doctor asks the far side
(``rhl-inspect --runtime``, batched with the doctor's other calls) what the service runs,
and warns that it is not what this client has. A frontend with remote-http-launcher 0.4.5
(no ``--runtime``) gives "not checked", never an error.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from project_support import Project
from test_doctor import check, doctor, finding
from test_doctor_project import editable_install

from sshd_support import SSHD, SYSTEM_PATH, cache_root

HS = "hashserver-remote-rw-myproj"


@pytest.fixture
def shared_dir() -> Iterator[pathlib.Path]:
    """A 0755 directory under the test cache: the svc account can read and run what is in it."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    made = pathlib.Path(tempfile.mkdtemp(prefix="runtime-", dir=root))
    made.chmod(0o755)
    yield made
    shutil.rmtree(made, ignore_errors=True)


def test_a_remote_service_from_an_editable_install_is_reported(
    sshd_isolated: SSHD, tmp_path: pathlib.Path, shared_dir: pathlib.Path
) -> None:
    venv, package = editable_install(shared_dir)
    # svc's PATH: the tiny venv first (its console script `hashserver`), then our helpers.
    sshd_isolated.set_key_options("svc", None, path=f"{venv / 'bin'}:{sshd_isolated.svc_venv}:{SYSTEM_PATH}")
    project = Project(tmp_path, sshd_isolated)
    project.start("hashserver")
    pid = project.server_state(HS)["pid"]

    result, document = doctor(project, "--service", "hashserver")
    assert result.returncode == 1, json.dumps(document, indent=1)
    runtime = finding(document, "services", f"{HS} (runtime)")
    assert runtime["verdict"] == "warning"
    details = runtime["details"]
    python = venv / "bin" / "python3"
    assert (details["pid"], details["host"], details["interpreter"]) == (pid, "rhltest-svc", str(python))
    assert details["exe"] == os.path.realpath(python)
    assert details["argv"][:2] == [str(python), str(venv / "bin" / "hashserver")]
    service: dict[str, Any] = details["service_environment"]
    client: dict[str, Any] = details["client_environment"]
    assert (service["distribution"], service["version"], service["editable"]) == ("tinysvc", "0.1", True)
    assert (service["location"], service["prefix"]) == (str(package), str(venv))
    assert client["distribution"] == "hashserver"
    assert runtime["message"] == (
        f"runs {python} {venv}/bin/hashserver (tinysvc 0.1 (editable: {package}) in {venv} on "
        f"rhltest-svc), not what this client has: hashserver is tinysvc 0.1 (editable: {package}) "
        f"for the service, hashserver {client['version']} for this client"
    )
    assert runtime["next_step"] == (
        f"a fix in this client's environment is not live for the service: install it into {venv} on "
        f"rhltest-svc ({service['executable']} -m pip install ...), then seamless-service-restart "
        "--service hashserver --cluster remote --project myproj"
    )
    (evidence,) = runtime["evidence"]
    assert (
        evidence["command"].startswith("ssh rhltest-svc ")
        and f"rhl-inspect --runtime {HS}" in (evidence["command"])
    )
    assert evidence["exit_code"] == 0 and evidence["excerpt"].splitlines()[0] == f"pid: {pid}"
    assert finding(document, "services", HS)["verdict"] == "ok"


def test_a_remote_service_of_this_clients_distribution_is_ok(
    sshd_isolated: SSHD, tmp_path: pathlib.Path
) -> None:
    """The test frontend's hashserver is the same release as this client's (1.1.0): ok, and
    the other environment's prefix on another host is not a difference."""
    project = Project(tmp_path, sshd_isolated)
    project.start("hashserver")
    result, document = doctor(project, "--service", "hashserver")
    assert result.returncode == 0, json.dumps(document, indent=1)
    runtime = finding(document, "services", f"{HS} (runtime)")
    version = runtime["details"]["client_environment"]["version"]
    assert runtime["verdict"] == "ok"
    assert runtime["message"].endswith(
        f"(hashserver {version} in {runtime['details']['service_environment']['prefix']} on rhltest-svc): "
        "hashserver is the same distribution as on this client"
    )


def test_a_0_4_5_server_is_not_checked(
    sshd_isolated: SSHD, tmp_path: pathlib.Path, reference_bin: pathlib.Path
) -> None:
    """remote-http-launcher 0.4.5 on the frontend: its rhl-inspect has no --runtime (it takes
    the option for a second key). The finding says so, verdict ok, and nothing else changes."""
    project = Project(tmp_path, sshd_isolated)
    project.start("hashserver")  # launched by our helpers; then the host's helpers are 0.4.5
    sshd_isolated.exit_control_masters()  # a master carries the old key line's environment
    sshd_isolated.set_key_options("svc", None, path=f"{reference_bin}:{SYSTEM_PATH}")  # no rhl-batch
    _result, document = doctor(project, "--service", "hashserver")
    runtime = finding(document, "services", f"{HS} (runtime)")
    assert runtime["verdict"] == "ok", json.dumps(document, indent=1)
    assert check(document, "services")["verdict"] == "ok"  # "not checked" is never a problem
    assert runtime["message"] == (
        "not checked: the server's remote-http-launcher is older (its rhl-inspect has no --runtime; "
        "upgrade remote-http-launcher on rhltest-svc to have it checked)"
    )
    assert runtime["next_step"] is None
    assert "exactly one key is required" in runtime["evidence"][0]["excerpt"]
    assert finding(document, "services", HS)["verdict"] == "ok"
