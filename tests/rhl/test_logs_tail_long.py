"""rhl-logs --tail N is bounded by N lines, not by the length of a line (issue 13.9).

Before: the tail buffer was re-joined and re-split per 64 KiB block, so one 100 MB line took
93 s and 303 MB. Now line starts are found by searching blocks (nothing kept) and at most
LINE_CAP bytes of each line are printed, the rest replaced by a marker.
"""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import RhlEnv, find_command

CAP = 1 << 16
LONG = 100 * 1024 * 1024


def _write_log(rhl: RhlEnv, key: str) -> None:
    """A log whose middle line is ``HEAD`` + 100 MB + ``TAIL`` (sparse: cheap on disk)."""
    rhl.server.mkdir(parents=True, exist_ok=True)
    with open(rhl.server / f"{key}.log", "wb") as handle:
        handle.write(b"old line\n")
        handle.write(b"HEAD")
        handle.seek(LONG, 1)
        handle.write(b"TAIL\r\n")
        handle.write(b"last line\n")


def _run_measured(rhl: RhlEnv, *argv: str) -> tuple[int, bytes, bytes, int]:
    """Run a command in a fresh interpreter that reports its child's peak RSS (KiB), so the
    figure is that command's alone, not of anything else this test session started."""
    probe = (
        "import json, resource, subprocess, sys\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, timeout=120)\n"
        "sys.stdout.write(json.dumps([p.returncode, p.stdout.hex(), p.stderr.hex(),"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, find_command(argv[0]), *argv[1:]],
        capture_output=True,
        text=True,
        env=rhl.env,
        timeout=150,
    )
    assert done.returncode == 0, done.stderr
    code, out, err, rss = json.loads(done.stdout)
    return code, bytes.fromhex(out), bytes.fromhex(err), rss


def test_tail_of_a_100_mb_line_is_cut_and_bounded(rhl: RhlEnv) -> None:
    _write_log(rhl, "huge")
    long_line = (
        b"HEAD" + b"\0" * (CAP - 4) + b" [rhl-logs: line truncated, %d more bytes]\r\n" % (LONG + 8 - CAP)
    )
    code, out, err, rss_kib = _run_measured(rhl, "rhl-logs", "--tail", "3", "huge")
    assert (code, err) == (0, b"")
    assert out == b"old line\n" + long_line + b"last line\n"
    assert rss_kib < 64 * 1024, f"peak RSS {rss_kib} KiB for a {LONG // 2**20} MB line"
    code, out, err, _ = _run_measured(rhl, "rhl-logs", "--tail", "1", "huge")
    assert (code, out, err) == (0, b"last line\n", b"")
    code, out, err, _ = _run_measured(rhl, "rhl-logs", "--tail", "2", "huge")
    assert (code, out, err) == (0, long_line + b"last line\n", b"")


def test_short_lines_are_unchanged(rhl: RhlEnv) -> None:
    rhl.server.mkdir(parents=True, exist_ok=True)
    line = b"y" * CAP
    (rhl.server / "k.log").write_bytes(b"a\r\nb\rc\n\n" + line + b"\n" + line + b"z")
    result = subprocess.run([find_command("rhl-logs"), "--tail", "10", "k"], capture_output=True, env=rhl.env)
    assert (result.returncode, result.stderr) == (0, b"")
    assert (
        result.stdout == b"a\r\nb\rc\n\n" + line + b"\n" + line + b" [rhl-logs: line truncated, 1 more bytes]"
    )


def test_a_fifo_named_like_a_log_is_refused_not_waited_on(rhl: RhlEnv) -> None:
    import os

    rhl.server.mkdir(parents=True, exist_ok=True)
    fifo = rhl.server / "pipe.log"
    os.mkfifo(fifo)
    for argv in (("pipe",), ("--tail", "5", "pipe")):
        result = rhl.run("rhl-logs", *argv, timeout=20)
        assert (result.returncode, result.stdout, result.stderr) == (
            1,
            "",
            f"rhl-logs: not a regular file: {fifo}\n",
        )


def test_tail_lines_agrees_with_splitlines_at_every_block_boundary() -> None:
    """The backward scanner against bytes.splitlines, with blocks of 1-4 bytes so that every
    ``\\r\\n`` split and line start falls on a block boundary somewhere."""
    import os
    import tempfile

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from remote_http_launcher import logs

    @settings(max_examples=300, deadline=None)
    @given(
        st.lists(st.sampled_from([b"a", b"bc", b"\n", b"\r", b"\r\n"]), max_size=16).map(b"".join),
        st.integers(0, 10),
        st.integers(1, 4),
    )
    def check(data: bytes, lines: int, block: int) -> None:
        saved = logs._SCAN_BLOCK
        logs._SCAN_BLOCK = block
        fd, path = tempfile.mkstemp()
        try:
            os.write(fd, data)
            found, end = logs.tail_lines(fd, lines)
        finally:
            logs._SCAN_BLOCK = saved
            os.close(fd)
            os.unlink(path)
        assert found == (data.splitlines(keepends=True)[-lines:] if lines else [])
        assert end == len(data)

    check()
