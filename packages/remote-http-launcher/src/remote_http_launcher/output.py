"""Output and error handling of the commands: one-line errors, tables, NDJSON, flushing.

Public (`remote_http_launcher.output`): the commands' runner, their bodies and the launcher
use it. Free of click and cheap to import (it runs on every SSH call).
"""

from __future__ import annotations

import os
import sys

from .errors import EXIT_ERROR, RhlError, UsageProblem

TYPE_CHECKING = False  # typing costs milliseconds at start-up; mypy still reads this block
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any


def say(prog: str, message: str) -> None:
    sys.stderr.write(f"{prog}: {message}\n")
    sys.stderr.flush()


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Columns joined by one space, each cell left-justified; ``None``/empty shown as ``-``."""
    cells = [list(headers)] + [["-" if v is None or v == "" else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "".join(" ".join(c.ljust(w) for c, w in zip(row, widths)) + "\n" for row in cells)


def ndjson(rows: Iterable[dict[str, Any]]) -> str:
    """One JSON object per line, keys sorted (the format tools parse; see docs/reference/json.md).

    Strict JSON (RFC 8259): a NaN would be a bug upstream (state files are read strictly) and
    raises. Through :mod:`.jsontext`: no ``import json`` (nor ``re``) for a listing."""
    from .jsontext import dumps

    return "".join([dumps(row) + "\n" for row in rows])


def out(text: str) -> None:
    if sys.stdout is None:  # started with stdout closed (`rhl-ps >&-`): nobody can read us
        raise BrokenPipeError("stdout is closed")
    sys.stdout.write(text)


def run_reporting(prog: str, usage_exit_code: int, action: Callable[[], int | None]) -> int:
    """Run ``action`` and turn every failure into one line on stderr and an exit code."""
    try:
        code = action()
    except UsageProblem as exc:
        say(prog, exc.message)
        code = usage_exit_code
    except RhlError as exc:
        say(prog, exc.message)
        code = exc.exit_code
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        code = 141
    except Exception as exc:
        if os.environ.get("RHL_DEBUG"):
            raise
        say(prog, f"internal error: {type(exc).__name__}: {exc} (set RHL_DEBUG=1 for a traceback)")
        code = EXIT_ERROR
    return finish(code or 0)


def finish(code: int) -> int:
    """Flush stdout; a reader that went away (``| head``) is not an error worth a traceback."""
    if sys.stdout is None:
        return code
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    return code
