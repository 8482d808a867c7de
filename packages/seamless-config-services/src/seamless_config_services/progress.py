"""Progress of long waits, on a terminal only.

``seamless-service-stop`` waiting on rhl-stop's escalation, the doctor going through its
checks: a person at a terminal sees what is being waited for; a pipe, a file, a test or an
agent (stderr not a TTY) gets no progress noise at all, so stderr off a TTY keeps only the
command's real problems. One live line on stderr, redrawn in place (``\\r`` + erase), erased
when the wait ends. Standard library only; cheap to import.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import IO

#: How often the live line is redrawn (its elapsed-time counter).
TICK = 0.2


class Progress:
    """A live status line on ``stream`` when it is a terminal; a no-op otherwise."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        try:
            self.enabled = bool(self.stream.isatty())
        except (AttributeError, ValueError):
            self.enabled = False
        self._text: Callable[[float], str] | None = None
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._drawn = False

    def step(self, text: str | Callable[[float], str]) -> None:
        """Show ``text`` (or ``text(elapsed seconds)``, redrawn every :data:`TICK`)."""
        if not self.enabled:
            return
        with self._lock:
            self._started = time.monotonic()
            self._text = text if callable(text) else (lambda _elapsed, fixed=text: fixed)
            self._draw()
        if callable(text) and self._thread is None:
            self._thread = threading.Thread(target=self._tick, name="seamless-progress", daemon=True)
            self._thread.start()

    def done(self) -> None:
        """Erase the live line (the command's own output follows)."""
        if not self.enabled:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)
        with self._lock:
            if self._drawn:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
                self._drawn = False
            self._text = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.done()

    def _draw(self) -> None:
        if self._text is None:
            return
        self.stream.write("\r\x1b[K" + self._text(time.monotonic() - self._started))
        self.stream.flush()
        self._drawn = True

    def _tick(self) -> None:
        while not self._stop.wait(TICK):
            with self._lock:
                self._draw()
