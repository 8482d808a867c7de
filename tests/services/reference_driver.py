"""Run seamless-config 0.3.2 on a list of cases, for the golden tests (``test_golden.py``).

Runs with the python of the reference venv (``reference_sc.py``), never with ours, and uses
only the reference's own entry points: ``seamless-service-resolve``'s ``main`` for the JSON
it prints, ``seamless_config.service._dispatch.resolve`` (what that command and the other
``seamless-service-*`` commands call) for the launcher config, and remote-http-launcher
0.4.5's ``Configuration.from_mapping`` plus its template evaluation to render the command
line for a fixed status file.

stdin: a JSON list of cases ``{"id", "argv", "env", "cwd", "status_file"}``; ``env`` replaces
HOME / SEAMLESS_CACHE / REMOTE_HTTP_LAUNCHER_DIR. stdout: one JSON line per case
``{"id", "cli": {"rc", "stdout", "error"}, "dispatch": {"key", "ssh_hostname", "config",
"command"} or {"error"}}``. Each call runs in a forked child: the reference keeps its
selections and clusters in module globals, which must not leak from one case to the next.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys

import seamless_config.config_files
import seamless_config.extern_clients
import seamless_config.tools
from seamless_config.service import _dispatch
from seamless_config.service import resolve as resolve_cli
from seamless_config.service._args import make_parser

import remote_http_launcher as rhl

ENV_NAMES = ("HOME", "SEAMLESS_CACHE", "REMOTE_HTTP_LAUNCHER_DIR")


def in_child(function, case):
    """``function(case)`` in a forked child; its JSON-able result (or the error it raised)."""
    sys.stdout.flush()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            for name in ENV_NAMES:
                os.environ.pop(name, None)
            os.environ.update(case["env"])
            os.chdir(case["cwd"])
            result = function(case)
        except BaseException as exc:  # the child reports whatever happened, then exits
            result = {"error": f"{type(exc).__name__}: {exc}"}
        with os.fdopen(write_end, "w") as handle:
            json.dump(result, handle, default=repr)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as handle:
        data = handle.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def run_cli(case):
    out = io.StringIO()
    err = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = resolve_cli.main(case["argv"])
        except SystemExit as exc:
            rc = exc.code
    return {"rc": rc, "stdout": out.getvalue(), "stderr": err.getvalue()[-500:]}


def run_dispatch(case):
    parser = make_parser("seamless-service-resolve", "", agent_mode=True)
    args = parser.parse_args(case["argv"])
    key, ssh_hostname, config = _dispatch.resolve(args, from_cwd=args.workdir is not None)
    launcher_config = rhl.Configuration.from_mapping(config)
    namespace = dict(launcher_config.namespace)
    namespace["status_file"] = case["status_file"]
    command = rhl._evaluate_template(launcher_config.command_template, namespace)
    return {"key": key, "ssh_hostname": ssh_hostname, "config": config, "command": command}


def main():
    cases = json.load(sys.stdin)
    seamless_config.config_files.load_tools()  # read tools.yaml once, before forking
    assert seamless_config.tools and seamless_config.extern_clients  # imported before forking
    for case in cases:
        result = {"id": case["id"], "cli": in_child(run_cli, case), "dispatch": in_child(run_dispatch, case)}
        print(json.dumps(result, default=repr), flush=True)


if __name__ == "__main__":
    main()
