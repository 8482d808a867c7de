"""State files that try to break or hang the helpers: each is one `corrupt` row or outcome.

Deeply nested JSON used to raise RecursionError out of every listing; a FIFO named
``*.json`` blocked ``open()`` forever; NaN / Infinity / 1e400 came out as bare ``NaN`` (not
JSON); fields of the wrong type were printed as they were. Every case below is checked
through the installed commands, with a healthy key next to the hostile one.
"""

from __future__ import annotations

import errno
import json
import os
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import RhlEnv, pid_exists, wait_gone

DEEP = "[" * 200_000 + "]" * 200_000 + "\n"


@pytest.fixture(autouse=True)
def _no_special_file_left(rhl: RhlEnv) -> Iterator[None]:
    """Remove FIFOs and directories named ``*.json`` before the ``rhl`` fixture's own
    clean-up reads every state file (a plain ``open()`` of a FIFO blocks forever)."""
    yield
    for side in (rhl.server, rhl.client):
        for path in side.glob("*.json"):
            if path.is_file() and not path.is_symlink():
                continue
            if path.is_dir() and not path.is_symlink():
                path.rmdir()
            else:
                path.unlink()


def _strict(text: str) -> list[dict[str, Any]]:
    """NDJSON parsed strictly: NaN, Infinity and out-of-range numbers are not JSON."""

    def refuse(name: str) -> None:
        raise AssertionError(f"non-standard JSON constant {name} in output")

    def finite(text: str) -> float:
        value = float(text)
        assert value not in (float("inf"), float("-inf")), f"number out of range in output: {text}"
        return value

    return [json.loads(line, parse_constant=refuse, parse_float=finite) for line in text.splitlines()]


def _corrupt(row: dict[str, Any]) -> dict[str, Any]:
    """The documented fields of a corrupt row (other tasks may add fields to rows)."""
    return {
        k: row[k] for k in ("key", "status", "error", "live", "meta", "host", "ssh_host", "port") if k in row
    }


def _rows(rhl: RhlEnv, *argv: str) -> dict[str, dict[str, Any]]:
    result = rhl.run("rhl-ps", "--json", *argv, timeout=20)
    assert (result.returncode, result.stderr) == (0, ""), result
    return {row["key"]: row for row in _strict(result.stdout)}


# -- deeply nested JSON (issue 13.7) ----------------------------------------------------------


def test_deeply_nested_state_file_is_one_corrupt_row(rhl: RhlEnv) -> None:
    good = rhl.launch("good")
    deep = rhl.write_server("deep", None, raw=DEEP)
    for argv in ((), ("--no-status",)):
        table = rhl.run("rhl-ps", *argv, timeout=20)
        assert (table.returncode, table.stderr) == (0, "")
        assert [line.split()[:2] for line in table.stdout.splitlines()] == [
            ["KEY", "STATUS"],
            ["deep", "corrupt"],
            ["good", "running"],
        ]
        rows = _rows(rhl, *argv)
        assert _corrupt(rows["deep"]) == {
            "key": "deep",
            "status": "corrupt",
            "error": f"malformed JSON in {deep}: nested too deeply",
            "live": None,
            "meta": {},
        }
        assert rows["good"]["status"] == "running"
    inspect = rhl.run("rhl-inspect", "deep")
    assert (inspect.returncode, inspect.stdout) == (1, "")
    assert inspect.stderr == f"rhl-inspect: malformed JSON in {deep}: nested too deeply\n"
    clear_dir = rhl.tmp / "data"
    (clear_dir / "x").mkdir(parents=True)
    cleared = rhl.run("rhl-clear", str(clear_dir))
    assert (cleared.returncode, cleared.stdout, cleared.stderr) == (
        0,
        f"removed 1 item(s) from {clear_dir}\n",
        "",
    )
    stop = rhl.run("rhl-stop", "good", "deep", "--sigint-grace", "5")
    assert stop.returncode == 1
    assert stop.stdout == "good: stopped\ndeep: corrupt state\n"
    assert stop.stderr == f"rhl-stop: deep: corrupt state (malformed JSON in {deep}: nested too deeply)\n"
    assert wait_gone(good["pid"], 10)
    assert rhl.read_server("good")["status"] == "stale"
    assert deep.read_text() == DEEP  # a corrupt file is reported, never rewritten
    removed = rhl.run("rhl-rm", "deep")
    assert (removed.returncode, removed.stdout, removed.stderr) == (0, f"removed {deep}\n", "")
    assert not deep.exists() and (rhl.server / "good.json").exists()


def test_deeply_nested_client_file_is_one_corrupt_row(rhl: RhlEnv) -> None:
    rhl.write_client("ok", {"hostname": "localhost", "port": 5100})
    rhl.client.mkdir(parents=True, exist_ok=True)
    deep = rhl.client / "deep.json"
    deep.write_text(DEEP)
    table = rhl.run("rhl-ps", "--client")
    assert (table.returncode, table.stderr) == (0, "")
    assert [line.split() for line in table.stdout.splitlines()] == [
        ["KEY", "SSH-HOST", "HOST", "PORT"],
        ["deep", "-", "-", "-"],
        ["ok", "localhost", "localhost", "5100"],
    ]
    rows = _rows(rhl, "--client")
    assert rows["deep"]["status"] == "corrupt"
    assert rows["deep"]["error"] == f"malformed JSON in {deep}: nested too deeply"
    removed = rhl.run("rhl-rm", "--client", "deep")
    assert (removed.returncode, removed.stdout) == (0, f"removed {deep}\n")


# -- FIFOs and other non-regular files (issue 13.8) --------------------------------------------


def _non_regular(kind: str, path: pathlib.Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_non_regular_state_file_never_hangs(rhl: RhlEnv, kind: str) -> None:
    good = rhl.launch("good")
    path = rhl.server / "pipe.json"
    _non_regular(kind, path)
    reason = f"not a regular file: {path}"
    rows = _rows(rhl)
    assert _corrupt(rows["pipe"]) == {
        "key": "pipe",
        "status": "corrupt",
        "error": reason,
        "live": None,
        "meta": {},
    }
    assert rows["good"]["status"] == "running"
    inspect = rhl.run("rhl-inspect", "pipe", timeout=20)
    assert (inspect.returncode, inspect.stdout, inspect.stderr) == (1, "", f"rhl-inspect: {reason}\n")
    logs_key = rhl.run("rhl-ps", "--key", timeout=20)
    assert logs_key.stdout == "good\npipe\n"
    stop = rhl.run("rhl-stop", "pipe", "good", timeout=30)
    assert stop.returncode == 1
    assert stop.stdout == "pipe: corrupt state\ngood: stopped\n"
    assert stop.stderr == f"rhl-stop: pipe: corrupt state ({reason})\n"
    assert wait_gone(good["pid"], 10)
    if kind == "fifo":
        removed = rhl.run("rhl-rm", "pipe", timeout=20)
        assert (removed.returncode, removed.stdout, removed.stderr) == (0, f"removed {path}\n", "")
        assert not path.exists()


def test_fifo_client_file_never_hangs(rhl: RhlEnv) -> None:
    rhl.write_client("ok", {"hostname": "localhost", "port": 5100})
    path = rhl.client / "pipe.json"
    os.mkfifo(path)
    rows = _rows(rhl, "--client")
    assert rows["pipe"]["status"] == "corrupt"
    assert rows["pipe"]["error"] == f"not a regular file: {path}"
    assert rows["ok"]["port"] == 5100
    removed = rhl.run("rhl-rm", "--client", "pipe", timeout=20)
    assert (removed.returncode, removed.stdout) == (0, f"removed {path}\n")


def test_state_file_that_is_a_symlink_to_a_fifo_is_refused(rhl: RhlEnv) -> None:
    fifo = rhl.tmp / "fifo"
    os.mkfifo(fifo)
    rhl.server.mkdir(parents=True)
    (rhl.server / "link.json").symlink_to(fifo)
    rows = _rows(rhl)
    assert rows["link"]["status"] == "corrupt"
    assert "symbolic link" in rows["link"]["error"]


# -- strict JSON out, documented types (issue 13.10) -------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ('{"status": "running", "pid": NaN, "port": 1}', "NaN is not valid JSON"),
        ('{"status": "stale", "pid": 5, "port": Infinity}', "Infinity is not valid JSON"),
        ('{"status": "stale", "pid": 5, "port": -Infinity}', "-Infinity is not valid JSON"),
        ('{"status": "stale", "pid": 5, "launched_at": 1e400}', "number out of range: 1e400"),
        ('{"status": "stale", "meta": {"x": [NaN]}}', "NaN is not valid JSON"),
    ],
)
def test_non_standard_numbers_make_a_corrupt_row(rhl: RhlEnv, raw: str, reason: str) -> None:
    path = rhl.write_server("bad", None, raw=raw)
    rhl.write_server("fine", {"status": "stale", "pid": 5, "port": 6})
    rows = _rows(rhl)
    assert rows["bad"]["status"] == "corrupt"
    assert rows["bad"]["error"] == f"malformed JSON in {path}: {reason}"
    assert rows["fine"]["port"] == 6
    inspect = rhl.run("rhl-inspect", "bad")
    assert (inspect.returncode, inspect.stdout) == (1, "")
    assert inspect.stderr == f"rhl-inspect: malformed JSON in {path}: {reason}\n"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"status": "stale", "pid": 5, "port": "x"}, "'port' must be an integer, not a string"),
        ({"status": "stale", "pid": 5.5}, "'pid' must be an integer, not a fractional number"),
        ({"status": "stale", "pid": 5, "port": True}, "'port' must be an integer, not a boolean"),
        ({"status": "stale", "dashboard_port": [1]}, "'dashboard_port' must be an integer, not an array"),
        ({"status": "stale", "workdir": 5}, "'workdir' must be a string, not an integer"),
        ({"status": "stale", "launched_at": "today"}, "'launched_at' must be a number, not a string"),
        ({"status": "stale", "parameters": [1]}, "'parameters' must be an object, not an array"),
        (
            {"status": "stale", "log": {"a": 1}, "uid": "0"},
            "'log' must be a string, not an object; 'uid' must be an integer, not a string",
        ),
    ],
)
def test_server_fields_of_the_wrong_type_make_a_corrupt_row(
    rhl: RhlEnv, data: dict[str, Any], reason: str
) -> None:
    path = rhl.write_server("bad", data)
    rows = _rows(rhl)
    assert _corrupt(rows["bad"]) == {
        "key": "bad",
        "status": "corrupt",
        "error": f"wrong field types in {path}: {reason}",
        "live": None,
        "meta": {},
    }


def test_documented_types_and_nulls_pass(rhl: RhlEnv) -> None:
    data = {
        "status": "stale",
        "pid": None,
        "port": 5100,
        "dashboard_port": 5101,
        "launched_at": 1,
        "stopped_at": 2.5,
        "workdir": "~/w",
        "parameters": {"a": [1, 2]},
        "meta": "not an object is shown as {}",
        "anything": [None, {"x": 1.5}],
    }
    rhl.write_server("ok", data)
    row = _rows(rhl)["ok"]
    assert row["status"] == "stale" and row["meta"] == {} and row["anything"] == data["anything"]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ('{"hostname": "h", "port": 1e400}', "malformed JSON in {path}: number out of range: 1e400"),
        ('{"hostname": "h", "port": NaN}', "malformed JSON in {path}: NaN is not valid JSON"),
        (
            '{"hostname": 5, "port": "x", "tunneled-host": {"a": 1}}',
            "wrong field types in {path}: 'hostname' must be a string, not an integer; "
            "'port' must be an integer, not a string; 'tunneled-host' must be a string, not an object",
        ),
        (
            '{"hostname": "localhost", "port": 1, "tunneled-port": "2", "status": 3}',
            "wrong field types in {path}: 'status' must be a string, not an integer; "
            "'tunneled-port' must be an integer, not a string",
        ),
    ],
)
def test_client_file_of_wrong_types_is_a_corrupt_row(rhl: RhlEnv, raw: str, reason: str) -> None:
    rhl.client.mkdir(parents=True)
    path = rhl.client / "bad.json"
    path.write_text(raw)
    rhl.write_client("ok", {"hostname": "localhost", "port": 5100, "tunneled-host": "front"})
    rows = _rows(rhl, "--client")
    assert _corrupt(rows["bad"]) == {
        "key": "bad",
        "status": "corrupt",
        "error": reason.format(path=path),
        "meta": {},
        "host": None,
        "ssh_host": None,
        "port": None,
    }
    assert (rows["ok"]["ssh_host"], rows["ok"]["port"]) == ("front", 5100)
    table = rhl.run("rhl-ps", "--client")
    assert table.stdout.splitlines()[1].split() == ["bad", "-", "-", "-"]


# -- errors on stderr (issue 14.8) -------------------------------------------------------------


def test_stop_of_a_corrupt_file_explains_itself_on_stderr(rhl: RhlEnv) -> None:
    path = rhl.write_server("broken", None, raw="{not json")
    result = rhl.run("rhl-stop", "broken")
    assert result.returncode == 1
    assert result.stdout == "broken: corrupt state\n"
    assert result.stderr == (
        f"rhl-stop: broken: corrupt state (malformed JSON in {path}: "
        "Expecting property name enclosed in double quotes: line 1 column 2 (char 1))\n"
    )


def test_stop_failures_on_stderr_successes_on_stdout(rhl: RhlEnv) -> None:
    live = rhl.launch("live")
    rhl.write_server("one", {"status": "running", "pid": 1})
    rhl.write_server("gone", {"status": "running", "pid": 4_000_000})
    result = rhl.run("rhl-stop", "one", "gone", "live", "missing")
    assert result.returncode == 1
    assert result.stdout == "one: invalid PID\ngone: already gone\nlive: stopped\nmissing: missing state\n"
    assert result.stderr == "rhl-stop: one: invalid PID (refusing PID 1)\n"
    assert not pid_exists(live["pid"]) or wait_gone(live["pid"], 10)


def test_jobs_error_rows_are_explained_on_stderr(rhl: RhlEnv) -> None:
    path = rhl.write_server("broken", None, raw="{not json")
    result = rhl.run("rhl-jobs", "--system", "oar", "broken", env={"PATH": "/nonexistent"})
    assert result.returncode == 1
    (row,) = _strict(result.stdout)
    assert row["error"].startswith("corrupt state: ")
    assert result.stderr == f"rhl-jobs: broken: {row['error']}\n"
    assert str(path) in result.stderr


def test_public_reader_for_configuration_files(tmp_path: pathlib.Path) -> None:
    """The contract other tasks use (clusters.yaml): never blocks, refuses non-regular files."""
    from remote_http_launcher import state

    regular = tmp_path / "clusters.yaml"
    regular.write_text("local: {}\n")
    link = tmp_path / "link.yaml"
    link.symlink_to(regular)
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    assert state.read_regular_bytes(str(link), follow_symlinks=True) == b"local: {}\n"
    with pytest.raises(OSError) as refused_link:
        state.read_regular_bytes(str(link))
    assert refused_link.value.errno == errno.ELOOP
    for path in (fifo, tmp_path):
        with pytest.raises(state.NotRegularFile) as not_regular:
            state.read_regular_bytes(str(path), follow_symlinks=True)
        assert not_regular.value.strerror == f"not a regular file: {path}"
    with pytest.raises(FileNotFoundError):
        state.read_regular_bytes(str(tmp_path / "missing"))
    assert state.loads_strict(b'{"a": [1, 2.5]}') == {"a": [1, 2.5]}
    for bad, message in (("[NaN]", "NaN is not valid JSON"), ("[1e400]", "number out of range: 1e400")):
        with pytest.raises(ValueError, match=message):
            state.loads_strict(bad)
    with pytest.raises(state.JSONTooDeep, match="nested too deeply"):
        state.loads_strict("[" * 100_000 + "]" * 100_000)
    with pytest.raises(state.JSONTooDeep, match="nested deeper than 3 levels"):
        state.loads_strict("[[[[1]]]]", max_depth=3)
    assert state.loads_strict("[[[1]]]", max_depth=3) == [[[1]]]


def test_a_fifo_named_as_the_tools_whitelist_is_an_error_at_once(rhl: RhlEnv) -> None:
    """RHL_TOOLS_YAML naming a FIFO: the launch helper refuses at once (before, open() waited
    for a writer forever); nothing is started and no state is written."""
    fifo = rhl.tmp / "tools-fifo.yaml"
    os.mkfifo(fifo)
    try:
        result = rhl.run(
            "rhl-launch-service", "--key", "fifo-tools", "--workdir", str(rhl.tmp / "w"), "--", "sleep", "60",
            env={"RHL_TOOLS_YAML": str(fifo)}, timeout=30,
        )  # fmt: skip
    finally:
        fifo.unlink()
    assert result.returncode == 1, result
    assert result.stderr == f"rhl-launch-service: could not load tools.yaml: not a regular file: {fifo}\n"
    assert not (rhl.server / "fifo-tools.json").exists()
