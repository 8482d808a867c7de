"""The state core as a library: keys, atomic writes, locks, concurrent writers and readers."""

from __future__ import annotations

import json
import multiprocessing
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import RhlEnv
from remote_http_launcher import paths, state
from remote_http_launcher.errors import InvalidKey


@pytest.mark.parametrize("key", ["a", "hashserver-local-rw-proj--STAGE-x", "A.b_c-1", "x" * 200])
def test_valid_keys(key: str) -> None:
    assert paths.validate_key(key) == key


@pytest.mark.parametrize(
    "key",
    ["", ".", "..", "-rf", ".hidden", "a/b", "a b", "a\nb", "é", "x" * 201, "a\0b", "$(id)", "a;b", "~root"],
)
def test_invalid_keys(key: str) -> None:
    with pytest.raises(InvalidKey):
        paths.validate_key(key)


def test_layout_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    monkeypatch.setenv("REMOTE_HTTP_LAUNCHER_DIR", str(tmp_path / "d"))
    assert paths.server_dir() == str(tmp_path / "d" / "server")
    assert paths.client_dir() == str(tmp_path / "d" / "client")
    assert paths.conda_cache_path() == str(tmp_path / "d" / "conda-setup.json")
    monkeypatch.delenv("REMOTE_HTTP_LAUNCHER_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert paths.server_dir() == str(tmp_path / "home" / ".remote-http-launcher" / "server")


def test_atomic_write_leaves_no_temp_files_and_is_private(tmp_path: pathlib.Path) -> None:
    target = tmp_path / "server" / "k.json"
    state.write_state(str(target), {"a": 1})
    assert json.loads(target.read_text()) == {"a": 1}
    assert os.listdir(target.parent) == ["k.json"]
    assert target.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "server").stat().st_mode & 0o777 == 0o700


def _bump_counter(base: str, rounds: int) -> None:
    os.environ["REMOTE_HTTP_LAUNCHER_DIR"] = base
    for _ in range(rounds):
        state.update_state("counter", lambda d: {**d, "n": d["n"] + 1})


def test_concurrent_read_modify_write_loses_no_update(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REMOTE_HTTP_LAUNCHER_DIR", str(tmp_path))
    state.write_state(paths.state_path("counter"), {"n": 0})
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_bump_counter, args=(str(tmp_path), 50)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    assert state.read_state(paths.state_path("counter")).require() == {"n": 200}


def test_readers_never_see_a_partial_file(rhl: RhlEnv) -> None:
    """Writers rewrite a large state file in a loop while rhl-inspect reads it."""
    rhl.server.mkdir(parents=True)
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import os, sys\n"
                "from remote_http_launcher import state\n"
                f"path = {str(rhl.server / 'big.json')!r}\n"
                "i = 0\n"
                "while True:\n"
                "    state.write_state(path, {'i': i, 'payload': 'x' * 200000})\n"
                "    i += 1\n"
            ),
        ],
        env=rhl.env,
    )
    try:
        rhl.wait_for = None
        seen = 0
        for _ in range(30):
            result = rhl.run("rhl-inspect", "big")
            if result.returncode == 0:
                assert len(json.loads(result.stdout)["payload"]) == 200000
                seen += 1
            else:
                assert result.stderr == "rhl-inspect: no state file for 'big'\n"
        assert seen > 0
    finally:
        writer.kill()
        writer.wait()


def test_read_state_reports_instead_of_raising(tmp_path: pathlib.Path) -> None:
    missing = state.read_state(str(tmp_path / "none.json"))
    assert missing.missing and not missing.corrupt
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff\xfe")
    result = state.read_state(str(bad))
    assert result.corrupt and result.error is not None and result.error.startswith("malformed JSON")
    assert bad.read_bytes() == b"\xff\xfe"  # never deleted or rewritten


def test_list_keys_ignores_temp_locks_and_other_files(tmp_path: pathlib.Path) -> None:
    for name in ("b.json", "a.json", ".a.123.tmp", "a.tmp", "a.log", "a.json.tmp"):
        (tmp_path / name).write_text("{}")
    (tmp_path / ".locks").mkdir()
    assert state.list_keys(str(tmp_path)) == ["a", "b"]
    assert state.list_keys(str(tmp_path / "missing")) == []


def test_every_new_level_of_the_state_directory_is_private(tmp_path: pathlib.Path) -> None:
    target = tmp_path / "a" / "b" / "server" / "k.json"
    state.write_state(str(target), {})
    for level in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "server"):
        assert level.stat().st_mode & 0o777 == 0o700, level
