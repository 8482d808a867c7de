"""What a running service really runs: its executable, interpreter and distribution.

The seeds' "a local fix is not a live fix": a service runs the code installed in *its*
environment, which need not be the one where a fix was made. For a service we launched
(its PID identity-checked against the state file first, as ``rhl-inspect`` and ``rhl-stop``
do: never a reused PID, never another user's process) this reads ``/proc/PID/exe`` and
``/proc/PID/cmdline``, finds the Python interpreter of the service's command (a console
script's ``#!`` line as the kernel ran it, else the executable), and asks that interpreter
which distribution provides the command: its name, version, and whether it is an editable
install (PEP 610 ``direct_url.json``: ``dir_info.editable``) and where it points.

The question is a tiny ``-c`` program (:data:`QUERY`) run by the service's own interpreter,
bounded by :data:`QUERY_TIMEOUT`, with ``-B`` (it writes no bytecode: the call is read-only)
and the service's own ``PYTHON*`` variables (so it sees the ``sys.path`` the service sees).
The same program, executed in-process, describes the caller's environment
(:func:`local_environment`), so the client compares like with like.

Used by ``rhl-inspect --runtime KEY...`` (one JSON object per key); the doctor asks for it
through the dispatch layer, for local and remote services alike.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing costs milliseconds at start-up; mypy still reads this block
if TYPE_CHECKING:
    from typing import Any

#: Bound for the service interpreter's answer (a cold interpreter on a loaded host).
QUERY_TIMEOUT = 20.0
#: Bound for all the keys of one ``rhl-inspect --runtime`` call: it shares the doctor's batch
#: (and its timeout) with the other checks, which a few hung interpreters must not sink.
TOTAL_TIMEOUT = 30.0

#: ``describe(command)``: which installed distribution provides the console script
#: ``command`` in *this* interpreter's environment, and how it is installed. Plain source text
#: (the service's environment need not have remote-http-launcher installed).
DESCRIBE = r"""
def describe(name):
    import json, sys
    from importlib import metadata
    out = {"prefix": sys.prefix, "executable": sys.executable, "python": sys.version.split()[0]}
    for dist in metadata.distributions():
        try:
            scripts = [ep.name for ep in dist.entry_points if ep.group == "console_scripts"]
        except Exception:
            continue
        if name not in scripts:
            continue
        out["distribution"] = dist.metadata["Name"]
        out["version"] = dist.version
        out["editable"] = False
        out["location"] = None
        try:
            direct = json.loads(dist.read_text("direct_url.json") or "null")
        except ValueError:
            direct = None
        if isinstance(direct, dict):
            out["editable"] = bool((direct.get("dir_info") or {}).get("editable"))
            url = direct.get("url")
            if isinstance(url, str) and url.startswith("file://"):
                from urllib.parse import unquote, urlsplit
                out["location"] = unquote(urlsplit(url).path)
        break
    return out
"""
#: The program the service's interpreter runs: ``sys.path[0]`` (the working directory for
#: ``-c``) is dropped first, so nothing in ``/`` can shadow the standard library.
QUERY = (
    "import sys\nif sys.path and sys.path[0] == '':\n    del sys.path[0]\n"
    + DESCRIBE
    + "import json\nprint(json.dumps(describe(sys.argv[1])))\n"
)
#: Variables of the service's environment that change what its interpreter imports.
PYTHON_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONNOUSERSITE", "PYTHONUSERBASE", "PYTHONSAFEPATH")


def local_environment(command: str) -> dict[str, Any]:
    """:data:`DESCRIBE` for this interpreter, in this process (the client's side)."""
    namespace: dict[str, Any] = {}
    exec(compile(DESCRIBE, "<remote_http_launcher.runtime.DESCRIBE>", "exec"), namespace)  # noqa: S102
    return dict(namespace["describe"](command))


def _read_process(pid: int) -> tuple[str | None, list[str], dict[str, str]]:
    """``/proc/PID/exe``, the command line and the ``PYTHON*`` environment of ``pid``."""
    with open(f"/proc/{pid}/cmdline", "rb") as handle:
        argv = [part.decode(errors="replace") for part in handle.read().split(b"\0") if part]
    try:
        exe: str | None = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        exe = None
    variables: dict[str, str] = {}
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            for entry in handle.read().split(b"\0"):
                name, _, value = entry.decode(errors="replace").partition("=")
                if name in PYTHON_VARIABLES or name in ("PATH", "HOME"):
                    variables[name] = value
    except OSError:
        pass
    return exe, argv, variables


def _is_python(path: str | None) -> bool:
    return bool(path) and os.path.isabs(str(path)) and os.path.basename(str(path)).startswith("python")


def interpreter_and_command(exe: str | None, argv: list[str]) -> tuple[str | None, str | None]:
    """The interpreter to ask and the command whose distribution is looked up.

    A console script started by its ``#!`` line runs as ``<interpreter> <script> ARGS``:
    ``argv[0]`` is the interpreter as written in the script (a venv's ``bin/python``, which
    ``exe`` resolves to the base interpreter: asking ``exe`` would see the wrong
    site-packages), ``argv[1]`` the script. Otherwise the executable itself, when it is a
    Python (``python -m module``: no console script to look up)."""
    first = argv[0] if argv else None
    if _is_python(first) or (_is_python(exe) and first is not None and not os.path.isabs(first)):
        interpreter = first if _is_python(first) else exe
        script = argv[1] if len(argv) > 1 and not argv[1].startswith("-") else None
        return interpreter, os.path.basename(script) if script else None
    return None, os.path.basename(first) if first else None


def query(
    interpreter: str, command: str, variables: dict[str, str], timeout: float = QUERY_TIMEOUT
) -> dict[str, Any]:
    """Ask ``interpreter`` (bounded by ``timeout``) about the distribution providing ``command``."""
    import json
    import subprocess

    env = {"LC_ALL": "C.UTF-8", "PATH": variables.get("PATH") or "/usr/bin:/bin"}
    env.update({k: v for k, v in variables.items() if k in PYTHON_VARIABLES or k == "HOME"})
    try:
        proc = subprocess.run(
            [interpreter, "-B", "-c", QUERY, command],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd="/",
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{interpreter} did not answer within {timeout:g} s") from None
    except OSError as exc:
        raise RuntimeError(f"could not run {interpreter}: {exc.strerror or exc}") from None
    lines = proc.stdout.strip().splitlines()
    try:
        value = json.loads(lines[-1]) if proc.returncode == 0 and lines else None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        error = proc.stderr.strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
        raise RuntimeError(f"{interpreter} did not answer: {error[0]}")
    return value


def report(
    key: str, cache: dict[tuple[str, str], dict[str, Any]] | None = None, deadline: float | None = None
) -> dict[str, Any]:
    """The runtime of the service with this ``key`` (one ``rhl-inspect --runtime`` row);
    ``deadline`` (``time.monotonic()``): no interpreter is asked after it.

    Fields: ``key``, ``pid``, ``exe``, ``argv``, ``interpreter``, ``command``,
    ``environment`` (null, or ``{prefix, executable, python, distribution, version, editable,
    location}``; no ``distribution`` when no installed distribution provides the command) and
    ``error`` (null, or why it could not be told: no state file, not running, ...).
    """
    from . import paths, process, state

    row: dict[str, Any] = {
        "key": key,
        "pid": None,
        "exe": None,
        "argv": [],
        "interpreter": None,
        "command": None,
        "environment": None,
        "error": None,
    }
    read = state.read_state(paths.state_path(key))
    if read.missing:
        row["error"] = "no state file"
        return row
    if read.data is None:
        row["error"] = read.error or "corrupt state file"
        return row
    live = process.check_state_process(read.data, read)
    row["pid"] = live.pid
    if not live.alive or live.info is None:
        row["error"] = f"not running: {live.detail or live.verdict}"
        return row
    pid = live.pid
    assert pid is not None
    try:
        exe, argv, variables = _read_process(pid)
    except OSError:
        row["error"] = f"not running: PID {pid} is gone"
        return row
    again = process.read_process(pid)  # the same process still? (no PID reuse in between)
    if again is None or again.start_ticks != live.info.start_ticks:
        row["error"] = f"not running: PID {pid} is gone"
        return row
    interpreter, command = interpreter_and_command(exe, argv)
    row.update(exe=exe, argv=argv, interpreter=interpreter, command=command)
    if interpreter is None or command is None:
        row["error"] = "not a Python console script: its distribution cannot be told"
        return row
    cache = {} if cache is None else cache
    try:
        if (interpreter, command) not in cache:
            timeout = QUERY_TIMEOUT
            if deadline is not None:
                import time

                timeout = min(timeout, deadline - time.monotonic())
                if timeout < 1:
                    raise RuntimeError(f"not asked: the {TOTAL_TIMEOUT:g} s for all keys are spent")
            cache[(interpreter, command)] = query(interpreter, command, variables, timeout)
        row["environment"] = cache[(interpreter, command)]
    except RuntimeError as exc:
        row["error"] = str(exc)
    return row
