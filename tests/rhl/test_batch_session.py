"""rhl-batch --session: what the SSH session looks like, in the same call as the lines
(seamless-service-doctor's one batch of rhl-ps; no probe of its own). Through rhl-guard:
tests/guard/test_guard_session_meta.py."""

from __future__ import annotations

import json
import pathlib
import sys

from conftest import RhlEnv

BIN = str(pathlib.Path(sys.executable).parent)


def _session(rhl: RhlEnv, path: str, **extra: str) -> tuple[list[dict[str, object]], dict[str, object]]:
    home = str(rhl.tmp)
    env = {"HOME": home, "PATH": path.replace("$HOME", home), **extra}
    rhl.env.pop("SSH_ORIGINAL_COMMAND", None)
    result = rhl.run(f"{BIN}/rhl-batch", "--session", "rhl-ps --json", "rhl-stop nothere", env=env)
    assert (result.returncode, result.stderr) == (0, ""), result
    *records, last = (json.loads(line) for line in result.stdout.splitlines())
    assert [r["argv"] for r in records] == [["rhl-ps", "--json"], ["rhl-stop", "nothere"]]
    assert list(last) == ["session"]
    session = last["session"]
    assert isinstance(session, dict)
    return records, session


PREPEND = "$HOME/miniforge3/bin:$HOME/miniconda3/bin:"


def test_helpers_only_behind_the_prepend(rhl: RhlEnv) -> None:
    _records, session = _session(rhl, PREPEND + "/usr/bin:/bin")
    assert session == {
        "forced_command": False,
        "guard": None,
        "plain": {"argv": ["rhl-ps", "--version"], "rc": 127, "stdout": "", "stderr": "rhl-ps: not found\n"},
    }


def test_helpers_on_the_default_path_really_run(rhl: RhlEnv) -> None:
    from remote_http_launcher import __version__

    _records, session = _session(rhl, PREPEND + f"{BIN}:/usr/bin:/bin")
    assert session["plain"] == {
        "argv": ["rhl-ps", "--version"],
        "rc": 0,
        "stdout": f"rhl-ps, version {__version__}\n",
        "stderr": "",
    }


def test_a_broken_rhl_ps_on_the_default_path_is_shown_as_it_answers(rhl: RhlEnv) -> None:
    broken = rhl.tmp / "broken"
    broken.mkdir()
    (broken / "rhl-ps").write_text("#!/bin/sh\necho 'old install' >&2\nexit 3\n")
    (broken / "rhl-ps").chmod(0o755)
    _records, session = _session(rhl, PREPEND + f"{broken}:{BIN}:/usr/bin:/bin")
    assert session["plain"] == {
        "argv": ["rhl-ps", "--version"],
        "rc": 3,
        "stdout": "",
        "stderr": "old install\n",
    }


def test_without_the_prepend_the_plain_path_is_not_known(rhl: RhlEnv) -> None:
    _records, session = _session(rhl, f"{BIN}:/usr/bin:/bin")
    assert session["plain"] is None


def test_another_forced_command(rhl: RhlEnv) -> None:
    _records, session = _session(rhl, PREPEND + "/usr/bin:/bin", SSH_ORIGINAL_COMMAND="rhl-ps")
    assert (session["forced_command"], session["guard"]) == (True, None)


def test_without_session_there_is_no_session_record(rhl: RhlEnv) -> None:
    result = rhl.run(f"{BIN}/rhl-batch", "rhl-ps --json")
    assert [list(json.loads(line)) for line in result.stdout.splitlines()] == [
        ["argv", "rc", "stderr", "stdout"]
    ]
