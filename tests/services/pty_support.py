"""Run an installed command on a pseudo-terminal, as a person at a terminal would.

stdin, stdout and stderr are the pty's slave side (so ``isatty()`` is true for all three);
the test reads the master side with a deadline, can wait for a text to appear, act, and
send SIGINT like Ctrl-C.
"""

from __future__ import annotations

import os
import pathlib
import pty
import select
import signal
import subprocess
import time
from collections.abc import Callable

from conftest import find_command


class PtyRun:
    def __init__(self, command: str, *args: str, env: dict[str, str], cwd: pathlib.Path) -> None:
        self.master, slave = pty.openpty()
        self.output = b""
        self.proc = subprocess.Popen(
            [find_command(command), *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=cwd,
            env={**env, "TERM": "xterm"},
            start_new_session=True,
        )
        os.close(slave)

    @property
    def text(self) -> str:
        return self.output.decode(errors="replace")

    def _read(self, wait: float) -> bool:
        """Read what is there within ``wait`` s; False once the pty is closed (child gone)."""
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: every slave fd is closed
            return False
        if not chunk:
            return False
        self.output += chunk
        return True

    def wait_for(self, needle: str, timeout: float = 30) -> str:
        """Read until ``needle`` has appeared (fails with the output so far at the deadline)."""
        deadline = time.monotonic() + timeout
        while needle not in self.text:
            left = deadline - time.monotonic()
            assert left > 0, f"{needle!r} did not appear within {timeout}s; output: {self.text!r}"
            if not self._read(min(left, 0.2)) and needle not in self.text:
                raise AssertionError(f"{needle!r} never appeared (process ended); output: {self.text!r}")
        return self.text

    @property
    def screen(self) -> str:
        """The latest complete drawing of a full-screen redraw (``--watch`` on a terminal: each
        drawing clears the screen first and ends with its ``(updated ...)`` line); "" before
        the first one is complete."""
        drawings = [d for d in self.text.split("\x1b[2J")[1:] if "(updated " in d]
        return drawings[-1] if drawings else ""

    def wait_until(self, check: Callable[[PtyRun], bool], what: str, timeout: float = 30) -> float:
        """Read until ``check(self)`` holds; the seconds it took (fails at the deadline)."""
        started = time.monotonic()
        deadline = started + timeout
        while not check(self):
            left = deadline - time.monotonic()
            assert left > 0, f"{what}: not within {timeout}s; output: {self.text!r}"
            if not self._read(min(left, 0.2)) and not check(self):
                raise AssertionError(f"{what}: never (process ended); output: {self.text!r}")
        return time.monotonic() - started

    def interrupt(self) -> None:
        self.proc.send_signal(signal.SIGINT)

    def finish(self, timeout: float = 60) -> int:
        """Read everything until the command exits; its exit code."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._read(0.2) and self.proc.poll() is not None:
                break
            if self.proc.poll() is not None:
                while self._read(0.05):
                    ready, _, _ = select.select([self.master], [], [], 0)
                    if not ready:
                        break
                break
        else:
            self.proc.kill()
            raise AssertionError(f"did not end within {timeout}s; output: {self.text!r}")
        code = self.proc.wait(timeout=5)
        os.close(self.master)
        return code
