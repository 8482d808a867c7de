"""What the launcher tells the user while it works.

Off a terminal (and in log files) every phase is one line, ``<elapsed>s <phase>: <result>``,
as remote-http-launcher 0.4.5 wrote them, so existing log readers keep working. On a
terminal a single live line says which phase the launch is in (connect, conda, launch,
wait, handshake, tunnel) and how long it has been waiting, refreshed ten times a second,
and is replaced by one summary line at the end.

Levels: ``minimal`` (only errors, and a summary when the launch took longer than 1.5 s),
``basic`` (one line per phase, the default) and ``debug`` (also details and every helper
call). ``log_file`` receives basic lines, ``debug_log_file`` debug lines.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import IO

LEVELS = ("minimal", "basic", "debug")
MINIMAL_THRESHOLD = 1.5

#: Phase name in log lines -> word on the live line.
LIVE_WORDS = {
    "local_check": "check",
    "connect": "connect",
    "remote_check": "check",
    "remote_validate": "verify",
    "conda_setup": "conda",
    "launch": "launch",
    "wait_for_start": "wait",
    "handshake": "handshake",
    "tunnel_setup": "tunnel",
    "local_validate": "handshake",
}

#: ``@rhl-phase <word>`` events of ``rhl-launch-service --await --progress`` -> phase names.
REMOTE_PHASES = {
    "check": "remote_check",
    "verify": "remote_validate",
    "conda": "conda_setup",
    "launch": "launch",
    "wait": "wait_for_start",
    "handshake": "handshake",
}


def _open_log(path: str | None) -> IO[str] | None:
    if not path:
        return None
    path = os.path.expanduser(path)
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    return open(path, "w", buffering=1, encoding="utf-8")


class Observer:
    """Receives the launcher's events and renders them for a terminal, a pipe and log files."""

    def __init__(
        self,
        key: str,
        level: str = "basic",
        log_file: str | None = None,
        debug_log_file: str | None = None,
        stream: IO[str] | None = None,
        live: bool | None = None,
    ) -> None:
        self.key = key
        self.level = level
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.monotonic()
        self.phase_started = self.started
        self.current = "check"
        self.live = (self.stream.isatty() if live is None else live) and level != "debug"
        self.log = _open_log(log_file if level == "minimal" else None)
        self.debug_log = _open_log(debug_log_file if level != "debug" else None)
        self._lock = threading.Lock()
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()
        self._drawn = False

    # -- rendering ---------------------------------------------------------------------------
    def _elapsed(self) -> str:
        return f"{time.monotonic() - self.started:6.1f}s"

    def _write_line(self, text: str, *, to_stream: bool) -> None:
        with self._lock:
            if to_stream:
                self._clear_live()
                self.stream.write(text + "\n")
                self.stream.flush()
                self._draw_live()

    def _line(self, text: str, *, debug_only: bool = False) -> None:
        stamped = f"{self._elapsed()} {text}"
        for log in (self.log if not debug_only else None, self.debug_log):
            if log is not None:
                log.write(stamped + "\n")
        show = self.level == "debug" or (self.level == "basic" and not debug_only and not self.live)
        if show:
            self._write_line(stamped, to_stream=True)

    def _live_text(self) -> str:
        waited = time.monotonic() - self.phase_started
        total = time.monotonic() - self.started
        return f"  {self.key}: {self.current} ({waited:.1f}s, total {total:.1f}s)"

    def _clear_live(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self._drawn = False

    def _draw_live(self) -> None:
        if not self.live or self._stop.is_set():
            return
        if self.level == "minimal" and time.monotonic() - self.started < MINIMAL_THRESHOLD:
            return
        self.stream.write("\r\x1b[K" + self._live_text())
        self.stream.flush()
        self._drawn = True

    def _tick(self) -> None:
        while not self._stop.wait(0.1):
            with self._lock:
                self._draw_live()

    # -- events ------------------------------------------------------------------------------
    def phase(self, name: str, result: str = "") -> None:
        word = LIVE_WORDS.get(name)
        if word is not None and word != self.current:
            self.current = word
            self.phase_started = time.monotonic()
        self._line(f"{name}: {result}" if result else name)
        if self.live and self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, name="rhl-progress", daemon=True)
            self._ticker.start()

    def remote_event(self, line: str) -> None:
        """A ``@rhl-phase <word> [detail]`` line from the await helper."""
        parts = line.split(" ", 2)
        if len(parts) >= 2 and parts[0] == "@rhl-phase":
            self.phase(REMOTE_PHASES.get(parts[1], parts[1]), parts[2] if len(parts) > 2 else "")

    def detail(self, message: str) -> None:
        self._line(f"detail: {message}", debug_only=True)

    def command(self, executor: str, argv: list[str]) -> None:
        self._line(f"command[{executor}]: {' '.join(argv)}", debug_only=True)

    def finish(self, outcome: str) -> None:
        self._line(f"done: {outcome}")
        elapsed = time.monotonic() - self.started
        self._stop_live()
        if self.live and (self.level == "basic" or elapsed >= MINIMAL_THRESHOLD):
            self._write_line(f"  {self.key}: {outcome} ({elapsed:.1f}s)", to_stream=True)
        elif self.level == "minimal" and elapsed >= MINIMAL_THRESHOLD and not self.live:
            self._write_line(f"  {self.key}: ready ({elapsed:.1f}s)", to_stream=True)
        self.close()

    def error(self, message: str, log_tail: str = "") -> None:
        self._stop_live()
        stamped = f"{self._elapsed()} error: {message}"
        for log in (self.log, self.debug_log):
            if log is not None:
                log.write(stamped + "\n")
        text = stamped if self.level != "minimal" else f"  {self.key}: error: {message}"
        if self.live:
            text = f"  {self.key}: error: {message}"
        self._write_line(text, to_stream=True)
        if log_tail:
            self._write_line(
                "  last lines of the service log:\n"
                + "".join(f"    | {line}\n" for line in log_tail.rstrip("\n").splitlines()).rstrip("\n"),
                to_stream=True,
            )
        self.close()

    def _stop_live(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(1.0)
        with self._lock:
            self._clear_live()
            self.stream.flush()

    def close(self) -> None:
        self._stop.set()
        for log in (self.log, self.debug_log):
            if log is not None:
                log.close()
        self.log = self.debug_log = None
