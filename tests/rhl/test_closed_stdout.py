"""A helper started with its standard output closed (``rhl-ps >&-``) has nobody to answer:
it exits 141, as when its reader went away, with no traceback."""

from __future__ import annotations

import subprocess

import pytest

from conftest import RhlEnv, find_command


@pytest.mark.parametrize(
    "argv",
    [
        ["rhl-ps"],
        ["rhl-ps", "--json"],
        ["rhl-ps", "--help"],
        ["rhl-inspect", "--version"],
        ["remote-http-launcher", "--help"],
    ],
)
def test_closed_stdout_exits_141_without_traceback(rhl: RhlEnv, argv: list[str]) -> None:
    proc = subprocess.run(
        [find_command(argv[0]), *argv[1:]],
        env=rhl.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        pass_fds=(),
        preexec_fn=lambda: __import__("os").close(1),
    )
    assert proc.returncode == 141
    assert proc.stderr == ""
