"""The launcher with ``conda:`` over SSH, against the conda stand-in (tests/fakeconda), as svc.

conda cannot be installed here; the stand-in honours conda's command line (``conda info
--json``, ``conda env list --json``) and its ``etc/profile.d/conda.sh`` activation, which is
all the launcher and the helpers use.
"""

from __future__ import annotations

import json
import pathlib
import pwd

from test_launch_ssh import Client, healthcheck, remote_state

import fakeconda
from sshd_support import SSHD


def svc_owner() -> tuple[int, int]:
    entry = pwd.getpwnam("svc")
    return entry.pw_uid, entry.pw_gid


def install_conda(sshd: SSHD) -> fakeconda.FakeConda:
    conda = fakeconda.build(sshd.home("svc"), owner=svc_owner())
    hashserver = sshd.svc_venv / "hashserver"
    # The environment's own hashserver notes which environment it ran in, then runs the real one.
    conda.create_env(
        "seam",
        executables={"hashserver": f'echo "$CONDA_DEFAULT_ENV" > "$HOME/env-seen"\nexec {hashserver} "$@"'},
    )
    return conda


def test_service_runs_inside_the_named_environment(sshd_isolated: SSHD, tmp_path: pathlib.Path) -> None:
    install_conda(sshd_isolated)
    client = Client(sshd_isolated, tmp_path)
    config = client.config("hashserver-conda", "svc", conda="seam")
    result = client.launch(config)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert healthcheck("127.0.0.1", payload["port"]) == 200
    assert (sshd_isolated.home("svc") / "env-seen").read_text().strip() == "seam"
    assert remote_state(sshd_isolated, "svc", "hashserver-conda")["conda_env"] == "seam"
    cache = json.loads((sshd_isolated.home("svc") / ".remote-http-launcher" / "conda-setup.json").read_text())
    assert cache["conda_base"] == str(sshd_isolated.home("svc") / "miniforge3")


def test_missing_environment_is_a_clear_error(sshd_isolated: SSHD, tmp_path: pathlib.Path) -> None:
    install_conda(sshd_isolated)
    client = Client(sshd_isolated, tmp_path)
    result = client.launch(client.config("hashserver-noenv", "svc", conda="nope"))
    assert result.returncode == 1
    assert "conda environment 'nope' does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    state = sshd_isolated.home("svc") / ".remote-http-launcher" / "server" / "hashserver-noenv.log"
    assert not state.exists()  # refused before anything was started or logged


def test_no_conda_on_the_host_is_a_clear_error(sshd_isolated: SSHD, tmp_path: pathlib.Path) -> None:
    client = Client(sshd_isolated, tmp_path)
    result = client.launch(client.config("hashserver-noconda", "svc", conda="seam"))
    assert result.returncode == 1
    assert "conda" in result.stderr.splitlines()[-1] and "Traceback" not in result.stderr
