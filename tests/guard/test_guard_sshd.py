"""rhl-guard end to end through a real sshd: the non-root ``svc`` account's key is forced into
the guard with ``restrict,port-forwarding,permitopen=...``, as the admin guide says.

Naked commands are refused; the helpers run as svc; the path helpers obey the policy.
"""

from __future__ import annotations

import json
import os
import pathlib
import pwd
import shlex
from collections.abc import Iterator

import pytest

from sshd_support import SSHD

PREPEND = "PATH=$HOME/miniforge3/bin:$HOME/miniconda3/bin:$PATH"
REJECTED = 77


def _as_svc(path: pathlib.Path) -> None:
    entry = pwd.getpwnam("svc")
    for item in [path, *path.rglob("*")]:
        os.lchown(item, entry.pw_uid, entry.pw_gid)


def _force_guard(sshd: SSHD, *options: str, isolated: bool = False) -> None:
    guard = sshd.svc_venv / "rhl-guard"
    python = [str(sshd.svc_venv / "python3"), "-I", "-S"] if isolated else []
    command = shlex.join([*python, str(guard), *options]).replace('"', '\\"')
    sshd.set_key_options("svc", f'command="{command}",restrict,port-forwarding,permitopen="127.0.0.1:*"')


@pytest.fixture
def guarded(sshd_isolated: SSHD) -> Iterator[SSHD]:
    """svc's private home with a small data tree (owned by svc), and its key forced into the guard."""
    home = sshd_isolated.home("svc")
    data = home / "data"
    stage = data / "proj" / "STAGE-a"
    (stage / "sub").mkdir(parents=True)
    (stage / ".HASHSERVER_PREFIX").write_text("")
    (stage / "buf1").write_text("1")
    (stage / "sub" / "buf2").write_text("2")
    (data / "proj" / "plain").mkdir()
    (data / "proj" / "plain" / "keep").write_text("k")
    (home / "outside").mkdir()
    (home / "outside" / "precious").write_text("p")
    (data / "proj" / "escape").symlink_to(home / "outside")
    (home / "roots").write_text(f"{data}\nworkdir: {home / 'work'}\n")
    _as_svc(home)
    _force_guard(sshd_isolated, "--clear-policy", "seamless", "--label", "test-svc-key")
    yield sshd_isolated


def _audit(sshd: SSHD) -> list[dict[str, object]]:
    log = sshd.home("svc") / ".remote-http-launcher" / "guard" / "rejected.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.mark.parametrize(
    "words",
    [
        ["id"],
        ["rm", "-rf", "~"],
        ["bash", "-lc", "id"],
        ["python3", "-c", "'import os'"],
        ["pkill", "-f", "hashserver"],
        ["kill", "-1", "1"],
        ["rhl-ps;", "id"],
        ["rhl-guard", "--permissive-paths"],
        ["rhl-launch-service", "--workd", "/tmp", "--key", "k", "--", "hashserver"],
        ["rhl-ps", "--json", "$(id)"],
    ],
)
def test_naked_commands_are_refused(guarded: SSHD, words: list[str]) -> None:
    result = guarded.run("rhltest-svc", *words)
    assert result.returncode == REJECTED, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith("rhl-guard: rejected: ") and result.stderr.count("\n") == 1
    record = _audit(guarded)[-1]
    assert record["key_label"] == "test-svc-key" and record["user"] == "svc"
    assert str(record["client"]).startswith("127.0.0.1 port ")


def test_interactive_session_is_refused(guarded: SSHD) -> None:
    result = guarded.run("rhltest-svc")
    assert result.returncode == REJECTED
    assert "this program is an SSH guard" in result.stderr


def test_helpers_run_as_svc_through_the_guard(guarded: SSHD) -> None:
    listed = guarded.run("rhltest-svc", PREPEND, "rhl-ps", "--json")
    assert (listed.returncode, listed.stdout, listed.stderr) == (0, "", "")
    version = guarded.run("rhltest-svc", "rhl-stop", "--version")
    assert version.returncode == 0 and version.stdout.startswith("rhl-stop, version ")
    missing = guarded.run("rhltest-svc", PREPEND, "rhl-inspect", "nokey")
    assert (missing.returncode, missing.stderr) == (1, "rhl-inspect: no state file for 'nokey'\n")

    # A launch through the guard runs as svc, in svc's state directory.
    home = guarded.home("svc")
    tools = home / "tools.yaml"
    tools.write_text('example:\n  command_template: "rhl-example-service --status-file {status_file}"\n')
    _as_svc(tools)
    _force_guard(guarded, "--data-roots", str(home / "roots"), "--tools-yaml", str(tools))
    status = home / ".remote-http-launcher" / "server" / "ex.json"
    service = ["rhl-example-service", "--status-file", str(status), "--exit-before-ready"]
    launch = shlex.join(
        ["rhl-launch-service", "--key", "ex", "--workdir", str(home / "work" / "ex"), "--", *service]
    )
    launched = guarded.run("rhltest-svc", PREPEND, launch)
    assert launched.returncode == 0, launched.stderr
    assert json.loads(launched.stdout)["launched"] is True
    state = json.loads(status.read_text())
    assert state["uid"] == pwd.getpwnam("svc").pw_uid
    assert (home / "work" / "ex").stat().st_uid == pwd.getpwnam("svc").pw_uid


def test_path_helpers_obey_the_seamless_policy(guarded: SSHD) -> None:
    home = guarded.home("svc")
    data = home / "data"
    rows = guarded.run("rhltest-svc", PREPEND, "rhl-ps-persistent", "--json", "--level", "2", str(data))
    assert rows.returncode == 0, rows.stderr
    reported = [json.loads(line)["path"] for line in rows.stdout.splitlines()]
    assert reported == [str(data / "proj" / "STAGE-a")]  # the root and plain/ are walked, not reported

    refused = guarded.run("rhltest-svc", "rhl-clear", str(data / "proj" / "plain"))
    assert refused.returncode == REJECTED and "required marker file" in refused.stderr
    assert (data / "proj" / "plain" / "keep").exists()

    home_refused = guarded.run("rhltest-svc", "rhl-clear", "~")
    assert home_refused.returncode == REJECTED and "$HOME or an ancestor" in home_refused.stderr

    cleared = guarded.run("rhltest-svc", PREPEND, "rhl-clear", str(data / "proj" / "STAGE-a"))
    assert cleared.returncode == 0, cleared.stderr
    assert sorted(p.name for p in (data / "proj" / "STAGE-a").iterdir()) == [".HASHSERVER_PREFIX"]


def test_path_helpers_obey_data_roots(guarded: SSHD) -> None:
    home = guarded.home("svc")
    data = home / "data"
    _force_guard(guarded, "--data-roots", str(home / "roots"))
    escape = guarded.run("rhltest-svc", "rhl-clear", str(data / "proj" / "escape"))
    assert escape.returncode == REJECTED and "outside configured --data-roots" in escape.stderr
    assert (home / "outside" / "precious").exists()
    plain = guarded.run("rhltest-svc", "rhl-clear", str(data / "proj" / "plain"))
    assert plain.returncode == 0, plain.stderr
    assert not (data / "proj" / "plain" / "keep").exists()
    rows = guarded.run("rhltest-svc", "rhl-ps-persistent", "--json", "--level", "2", str(data))
    reported = [json.loads(line)["path"] for line in rows.stdout.splitlines()]
    assert str(data / "proj" / "escape") not in reported
    assert str(data) in reported
    workdir_clear = guarded.run("rhltest-svc", "rhl-clear", str(home / "work"))
    assert workdir_clear.returncode == REJECTED and "(clear)" in workdir_clear.stderr


def test_audit_log_belongs_to_svc(guarded: SSHD) -> None:
    guarded.run("rhltest-svc", "id")
    log = guarded.home("svc") / ".remote-http-launcher" / "guard" / "rejected.jsonl"
    assert log.stat().st_uid == pwd.getpwnam("svc").pw_uid
    assert log.stat().st_mode & 0o777 == 0o600


def test_isolated_form_through_sshd(guarded: SSHD) -> None:
    """The admin guide's `python3 -I -S rhl-guard` line: same decisions, same helpers."""
    home = guarded.home("svc")
    tools = home / "tools.yaml"
    tools.write_text('example:\n  command_template: "rhl-example-service --status-file {status_file}"\n')
    _as_svc(tools)
    _force_guard(guarded, "--data-roots", str(home / "roots"), "--tools-yaml", str(tools), isolated=True)
    assert "-I -S" in guarded.key_line("svc")
    listed = guarded.run("rhltest-svc", PREPEND, "rhl-ps", "--json")
    assert (listed.returncode, listed.stdout, listed.stderr) == (0, "", "")
    refused = guarded.run("rhltest-svc", "id")
    assert refused.returncode == REJECTED
    status = home / ".remote-http-launcher" / "server" / "iso.json"
    service = ["rhl-example-service", "--status-file", str(status), "--exit-before-ready"]
    launch = shlex.join(
        ["rhl-launch-service", "--key", "iso", "--workdir", str(home / "work" / "iso"), "--", *service]
    )
    launched = guarded.run("rhltest-svc", PREPEND, launch)  # reads tools.yaml: PyYAML via the venv's .pth
    assert launched.returncode == 0, launched.stderr
    assert json.loads(launched.stdout)["launched"] is True
