"""What every seamless-service-* command shares: the request, running a body, printing.

No click here: the commands run from the command table (:mod:`._table`) through the runner
(:mod:`._run`); click is built from the same table only for shell completion and for the
wording of usage errors (:mod:`._click`). Output goes through :func:`echo`, which writes what
``click.echo`` wrote (same flushing, same ANSI stripping off a terminal), so the bytes a user
or a script sees did not change when click left the common path.
"""

from __future__ import annotations

import os
import sys

from ..errors import ServiceError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, NoReturn

    from remote_http_launcher.commands import Command

    from ..api import Outcome
    from ..model import Request

ENV_DEBUG = "SEAMLESS_SERVICES_DEBUG"

#: The name the running command reports under (``<prog>: <message>``); set by the runner.
_PROGRAM = ["seamless-service"]


def set_program(name: str) -> None:
    """The command that runs: every one-line message on stderr starts with ``name:``."""
    _PROGRAM[0] = name


def program() -> str:
    return _PROGRAM[0]


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except Exception:  # noqa: BLE001 - click's rule: a stream that cannot tell is no terminal
        return False


def _strip_ansi(text: str) -> str:
    import re  # only when an escape character is there to strip

    return re.sub(r"\033\[[0-?]*[ -/]*[@-~]", "", text)


def echo(text: str = "", *, nl: bool = True, err: bool = False) -> None:
    """``click.echo(text, nl=nl, err=err)``: nothing without a stream, a flush after every
    write, ANSI escape sequences removed when the stream is not a terminal."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    out = text + "\n" if nl else text
    if out:
        if "\033" in out and not _isatty(stream):
            out = _strip_ansi(out)
        stream.write(out)
    stream.flush()


def request_from(values: dict[str, Any]) -> Request:
    """The :class:`~..model.Request` of a command's parsed values (taken out of ``values``):
    its fields are the selection flags, declared once (:func:`._table.selection_options`)."""

    from ..model import Request, fields

    return Request(**{spec.name: values.pop(spec.name, None) for spec in fields(Request)})


def say(message: str) -> None:
    echo(f"{program()}: {message}", err=True)


def run_action(action: Callable[[], int | None]) -> NoReturn:
    """Run a command body: every error of ours is one line on stderr and its exit code."""
    try:
        code = action() or 0
    except ServiceError as exc:
        say(exc.message)
        code = exc.exit_code
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        sys.stderr.close()
        code = 141
    except Exception as exc:
        if os.environ.get(ENV_DEBUG):
            raise
        say(f"internal error: {type(exc).__name__}: {exc} (set {ENV_DEBUG}=1 for a traceback)")
        code = 70
    finish(code)


def finish(code: int) -> NoReturn:
    """End the command with ``code``: both streams flushed, then ``os._exit`` when nothing
    needs the interpreter's teardown (``remote_http_launcher.commands.teardown_needed``: a
    live thread, an ``atexit`` callback).

    Tearing the interpreter down (every module and object of a command that imported ~200
    modules) costs about 6 ms here, more than a tenth of ``seamless-service-ps --json``, and
    holds nothing a command needs: state writes are atomic and complete when the body
    returns, files are closed by their ``with`` blocks, child processes are not waited for by
    the teardown either. When a flush fails (a reader closed stdout), ``sys.exit`` does exactly
    what it always did (the interpreter reports the closed pipe and exits 120)."""
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        sys.exit(code)
    from remote_http_launcher.commands import teardown_needed  # the helpers' own rule

    if teardown_needed():
        sys.exit(code)
    os._exit(code)


def run_body(entry: Command, values: dict[str, Any]) -> NoReturn:
    """Run the body of table entry ``entry`` (``"module:function"``, imported now) with the
    parsed ``values``: ``body(request, **the command's own values)`` under :func:`run_action`.
    The one way a command's body is called, from the runner's parser and from click alike."""
    assert entry.body is not None, entry.name
    module, _, function = entry.body.partition(":")
    values = dict(values)
    request = request_from(values)
    __import__(module)  # not importlib.import_module: importlib is not imported for it
    body = getattr(sys.modules[module], function)
    _collect_again()
    run_action(lambda: body(request, **values))


def _collect_again() -> None:
    """Garbage collection on again for the body (the entry point turned it off for the
    start-up), with what start-up made (modules, classes, the table) moved out of its way:
    ``gc.freeze`` keeps those from being scanned by every later full collection."""
    import gc

    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def print_outcome(outcome: Outcome) -> int:
    for line in outcome.lines:
        echo(line)
    for problem in outcome.problems:
        say(problem)
    return outcome.exit_code


def report_outcome(outcome: Outcome, document: dict[str, Any]) -> int:
    """``--json`` of an action: its document on stdout (the lines are inside it), each problem
    still one line on stderr (for the person watching), and the same exit code as without."""
    echo_document(document)
    for problem in outcome.problems:
        say(problem)
    return outcome.exit_code


def echo_json(data: Any) -> None:
    """``json.dumps(data, sort_keys=True)``, by the launcher's JSON-exact encoder (no ``json``
    import, which imports ``re``: more than a ``ps --json`` costs otherwise)."""
    from remote_http_launcher.jsontext import dumps

    echo(dumps(data, sort_keys=True))


def echo_document(document: dict[str, Any]) -> None:
    """One ``--json`` document (or one NDJSON row): a single line, keys sorted. Documents come
    stamped with their schema (:mod:`..schemas.documents`); this only prints."""
    echo_json(document)


def print_json_schema(schema: str) -> None:
    """``--json-schema``: the JSON Schema (draft 2020-12, versioned ``$id``) of what ``--json``
    prints, 2-space indented. Nothing else is read (no configuration, no SSH), so an agent can
    ask for it anywhere. ``schema`` is a name of :data:`..schemas.FILES`."""
    import json

    from .. import schemas

    echo(json.dumps(schemas.load(schema), indent=2, sort_keys=True))
