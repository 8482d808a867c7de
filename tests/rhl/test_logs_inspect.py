"""rhl-logs and rhl-inspect."""

from __future__ import annotations

import json
import os
import subprocess

from conftest import RhlEnv, find_command


def test_logs_whole_and_tail_with_mixed_line_endings(rhl: RhlEnv) -> None:
    rhl.server.mkdir(parents=True)
    (rhl.server / "k.log").write_bytes(b"one\r\ntwo\rthree\nfour")
    assert rhl.run("rhl-logs", "k").stdout == "one\ntwo\nthree\nfour"  # text mode folds \r\n
    raw = subprocess.run([find_command("rhl-logs"), "k", "--tail", "2"], env=rhl.env, capture_output=True)
    assert raw.stdout == b"three\nfour"
    raw = subprocess.run([find_command("rhl-logs"), "k", "--tail", "3"], env=rhl.env, capture_output=True)
    assert raw.stdout == b"two\rthree\nfour"
    assert rhl.run("rhl-logs", "k", "--tail", "0").stdout == ""
    assert rhl.run("rhl-logs", "k", "--tail", "100").stdout == "one\ntwo\nthree\nfour"


def test_tail_of_a_large_log_reads_only_the_end(rhl: RhlEnv) -> None:
    rhl.server.mkdir(parents=True)
    lines = [f"line {i}\n".encode() for i in range(200_000)]
    (rhl.server / "big.log").write_bytes(b"".join(lines))
    assert rhl.run("rhl-logs", "big", "--tail", "3").stdout == "line 199997\nline 199998\nline 199999\n"


def test_logs_errors(rhl: RhlEnv) -> None:
    assert rhl.run("rhl-logs", "nope").stderr == "rhl-logs: no log file for 'nope'\n"
    assert rhl.run("rhl-logs", "nope").returncode == 1
    result = rhl.run("rhl-logs", "k", "--tail", "-1")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert rhl.run("rhl-logs").stderr == "rhl-logs: Missing argument 'KEY'.\n"
    assert rhl.run("rhl-logs", "a", "b").returncode == 1


def test_previous_log_is_kept_across_relaunch(rhl: RhlEnv) -> None:
    rhl.launch("svc")
    assert rhl.run("rhl-stop", "svc").returncode == 0
    first = rhl.run("rhl-logs", "svc").stdout
    assert "listening" in first
    rhl.launch("svc")
    assert rhl.run("rhl-logs", "svc", "--previous").stdout == first
    assert rhl.run("rhl-stop", "svc").returncode == 0


def test_follow_prints_appended_lines(rhl: RhlEnv) -> None:
    rhl.server.mkdir(parents=True)
    log = rhl.server / "f.log"
    log.write_text("first\n")
    proc = subprocess.Popen(
        [find_command("rhl-logs"), "f", "--follow", "--tail", "1"],
        env=rhl.env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "first\n"
        with log.open("a") as handle:
            handle.write("second\n")
        assert proc.stdout.readline() == "second\n"
        log.rename(log.with_name("f.log.1"))  # a relaunch rotates the log ...
        log.write_text("after relaunch\n")  # ... and starts a new one
        assert proc.stdout.readline() == "after relaunch\n"
        log.write_text("x\n")  # truncated in place to a shorter size: read from the start
        assert proc.stdout.readline() == "x\n"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_inspect_pretty_and_with_mtime(rhl: RhlEnv) -> None:
    path = rhl.write_server("k", {"status": "running", "port": 5, "meta": {"b": 1, "a": 2}})
    result = rhl.run("rhl-inspect", "k")
    assert (
        result.stdout
        == json.dumps({"meta": {"a": 2, "b": 1}, "port": 5, "status": "running"}, indent=2, sort_keys=True)
        + "\n"
    )
    line = rhl.run("rhl-inspect", "k", "--with-mtime").stdout
    assert line.startswith('{"mtime":')
    payload = json.loads(line)
    assert payload["data"] == {"status": "running", "port": 5, "meta": {"b": 1, "a": 2}}
    assert abs(payload["mtime"] - os.stat(path).st_mtime) < 1e-3


def test_inspect_errors_are_one_line(rhl: RhlEnv) -> None:
    assert rhl.run("rhl-inspect", "none").stderr == "rhl-inspect: no state file for 'none'\n"
    rhl.write_server("bad", None, raw="")
    result = rhl.run("rhl-inspect", "bad")
    assert (result.returncode, result.stderr) == (
        1,
        f"rhl-inspect: malformed JSON in {rhl.server}/bad.json: empty or truncated file\n",
    )
    os.symlink("/etc/hostname", rhl.server / "link.json")
    result = rhl.run("rhl-inspect", "link")
    assert result.returncode == 1 and "symbolic link" in result.stderr
