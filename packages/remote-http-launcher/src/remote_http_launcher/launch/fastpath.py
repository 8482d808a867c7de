"""The launcher's fastest answer: a connection file that still answers, for an unchanged config.

Most launcher runs find their service alive (Seamless calls the launcher for every service
on every start). Parsing YAML and evaluating templates costs more than the whole check, so
after a full run the launcher records what the check needs (key, handshake target, levels)
in a small cache next to the connection files, keyed by the config file's path and stat
signature. This module answers from that cache, importing only ``json``, ``os`` and
``socket``; on any doubt (no cache entry, a changed file, log files configured, a stale or
missing connection file, a failed check) it returns ``None`` and the full launcher runs,
which also does every clean-up. It never writes anything.
"""

from __future__ import annotations

import binascii
import json
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CACHE_DIR = ".config-cache"


def client_dir(connection_dir: str | None) -> str:
    """``--connection-dir`` (``~`` expanded), else the client side of the state layout."""
    if connection_dir:
        return os.path.abspath(os.path.expanduser(connection_dir))
    from ..paths import client_dir as default_client_dir

    return default_client_dir()


def signature(path: str) -> list[int]:
    st = os.stat(path)
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]


def cache_path(directory: str, config_path: str) -> tuple[str, str]:
    real = os.path.realpath(config_path)
    name = f"{binascii.crc32(real.encode()):08x}.json"
    return os.path.join(directory, CACHE_DIR, name), real


def parse_argv(argv: list[str]) -> dict[str, Any] | None:
    """The options of a plain ``CONFIG [--connection-dir D] [--json] [--log-level L]``; else None."""
    options: dict[str, Any] = {"config": None, "connection_dir": None, "json": False, "log_level": None}
    index = 0
    while index < len(argv):
        word = argv[index]
        if word == "--json" and not options["json"]:
            options["json"] = True
        elif word in ("--connection-dir", "--log-level") and index + 1 < len(argv):
            name = word[2:].replace("-", "_")
            if options[name] is not None:
                return None
            options[name] = argv[index + 1]
            index += 1
        elif not word.startswith("-") and options["config"] is None:
            options["config"] = word
        else:
            return None
        index += 1
    if options["config"] is None or options["log_level"] not in (None, "minimal", "basic", "debug"):
        return None
    return options


def try_reuse(argv: list[str]) -> int | None:
    """Exit code 0 after answering from a reusable connection file, or None (run the full launcher)."""
    options = parse_argv(argv)
    if options is None:
        return None
    directory = client_dir(options["connection_dir"])
    try:
        entry_path, real = cache_path(directory, options["config"])
        with open(entry_path, encoding="utf-8") as handle:
            entry = json.load(handle)
        if entry.get("path") != real or entry.get("signature") != signature(real):
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    answer = _reuse(options, entry, directory)
    if answer is None and isinstance(entry.get("ssh_target"), str):
        preconnect(entry["ssh_target"])
    return answer


def _reuse(options: dict[str, Any], entry: dict[str, Any], directory: str) -> int | None:
    try:
        level = options["log_level"] or entry["log_level"]
        if level == "debug" or entry.get("log_files"):
            return None
        with open(os.path.join(directory, entry["key"] + ".json"), encoding="utf-8") as handle:
            payload = json.load(handle)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not isinstance(payload, dict) or not payload or payload.get("status") == "stale":
        return None
    host = payload.get("hostname")
    port = payload.get(entry.get("port_name") or "port")
    if not isinstance(host, str) or isinstance(port, bool) or not isinstance(port, int):
        return None
    from ..netcheck import http_status

    try:
        status = http_status(host, port, entry["target"], timeout=10.0)
    except OSError:
        return None
    if entry["handshake"] and not 200 <= status < 300:
        return None
    if level == "basic":
        if sys.stderr.isatty():
            sys.stderr.write(f"  {entry['key']}: reused-local (0.0s)\n")
        else:
            sys.stderr.write("   0.0s local_check: reused\n   0.0s done: reused-local\n")
    if options["json"]:
        sys.stdout.write(json.dumps(payload, sort_keys=True) + "\n")
    return 0


#: (host, process) of the SSH connection started ahead of the full launcher, if any.
PRECONNECT: tuple[str, Any] | None = None


def preconnect(host: str) -> None:
    """Start the SSH master connection to ``host`` now, while the full launcher is still
    importing and parsing: the config last seen at this path launched there. A wrong guess
    costs one idle connection; the executor waits for this one instead of opening its own."""
    global PRECONNECT
    import subprocess

    from .executors import SSHExecutor

    try:
        executor = SSHExecutor(host)
        argv = ["ssh", *executor.base_options(), *executor.mux_options(), "-n", "-N", "-f", host]
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
    except Exception:  # noqa: BLE001 - only a head start; the launcher connects by itself
        return
    PRECONNECT = (host, proc)


def remember(config_path: str, connection_dir: str | None, entry: dict[str, Any], sig: list[int]) -> None:
    """Record what :func:`try_reuse` needs for this config file (best effort, atomic).

    ``sig`` is the file's signature taken *before* it was parsed, so an edit made meanwhile
    makes the entry miss instead of answering for the old content."""
    from .. import paths, state

    directory = client_dir(connection_dir)
    try:
        path, real = cache_path(directory, config_path)
        paths.ensure_private_dir(os.path.dirname(path))
        record = {"path": real, "signature": sig, **entry}
        state.write_atomic(path, json.dumps(record, sort_keys=True).encode(), 0o600)
    except OSError:
        pass
